// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/format/safetensors.h"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "inference/diffusion/format/weight_format.h"

namespace ebb::inference::diffusion {
namespace {

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr std::array<DTypeEntry, 12> kDTypes = {{
    {DType::kF64, "F64", 8},
    {DType::kF32, "F32", 4},
    {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},
    {DType::kI64, "I64", 8},
    {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
    {DType::kF8E4M3, "F8_E4M3", 1},
    {DType::kF8E5M2, "F8_E5M2", 1},
}};

std::string AllDTypeNames() {
  std::vector<std::string> names;
  for (const auto& e : kDTypes) names.emplace_back(e.name);
  return absl::StrJoin(names, ", ");
}

// Parses one tensor entry of the header; `buffer_size` bounds the offsets.
absl::StatusOr<TensorInfo> ParseEntry(const std::string& name,
                                      const nlohmann::json& v,
                                      uint64_t buffer_size) {
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': ", what));
  };
  if (!v.is_object()) return bad("entry is not a JSON object");
  TensorInfo t;
  t.name = name;
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) return bad("missing string \"dtype\"");
  auto dtype = ParseDType(dt->get<std::string>());
  if (!dtype) {
    return bad(absl::StrCat("unknown dtype \"", dt->get<std::string>(),
                            "\" (known: ", AllDTypeNames(), ")"));
  }
  t.dtype = *dtype;
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) return bad("missing array \"shape\"");
  uint64_t numel = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned()) {
      return bad(absl::StrCat("shape ", sh->dump(),
                              " has an entry that is not a non-negative "
                              "integer"));
    }
    uint64_t n = d.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (n != 0 && numel > std::numeric_limits<uint64_t>::max() / n)) {
      return bad(absl::StrCat("shape ", sh->dump(), " overflows"));
    }
    numel *= n;
    t.shape.push_back(static_cast<int64_t>(n));
  }
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 ||
      !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) {
    return bad(
        "\"data_offsets\" must be [begin, end] of non-negative integers");
  }
  t.begin = (*off)[0].get<uint64_t>();
  t.end = (*off)[1].get<uint64_t>();
  if (t.begin > t.end || t.end > buffer_size) {
    return bad(absl::StrCat("data_offsets [", t.begin, ", ", t.end,
                            "] lie outside the data buffer of ", buffer_size,
                            " bytes (file truncated or header corrupt)"));
  }
  size_t elem = DTypeSize(t.dtype);
  if (numel > std::numeric_limits<uint64_t>::max() / elem ||
      numel * elem != t.nbytes()) {
    return bad(absl::StrCat("shape ", ShapeString(t.shape), " of ",
                            DTypeName(t.dtype), " needs ", numel, " x ", elem,
                            " bytes but data_offsets span ", t.nbytes()));
  }
  return t;
}

}  // namespace

size_t DTypeSize(DType dtype) {
  for (const auto& e : kDTypes) {
    if (e.dtype == dtype) return e.size;
  }
  return 1;
}

const char* DTypeName(DType dtype) {
  for (const auto& e : kDTypes) {
    if (e.dtype == dtype) return e.name;
  }
  return "?";
}

std::optional<DType> ParseDType(std::string_view name) {
  for (const auto& e : kDTypes) {
    if (name == e.name) return e.dtype;
  }
  return std::nullopt;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(
    const std::string& path, Limits limits) {
  EBB_RETURN_IF_ERROR(CheckWeightFileFormat(path));
  EBB_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a valid safetensors file: ", what));
  };
  const uint64_t size = file->size();
  if (size < 8) return bad(absl::StrCat("only ", size, " bytes"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file->data()[i];
  if (n > limits.max_header_bytes) {
    return bad(absl::StrCat("header claims ", n, " bytes, over the limit of ",
                            limits.max_header_bytes));
  }
  if (n > size - 8) {
    return bad(absl::StrCat("header claims ", n, " bytes but the file has ",
                            size - 8, " after the length (file truncated?)"));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(
        reinterpret_cast<const char*>(file->data()) + 8,
        reinterpret_cast<const char*>(file->data()) + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    return bad(absl::StrCat("header is not valid JSON: ", e.what()));
  }
  if (!header.is_object()) return bad("header is not a JSON object");

  auto out = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  out->buffer_offset_ = 8 + n;
  const uint64_t buffer_size = size - out->buffer_offset_;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return bad("\"__metadata__\" is not an object");
      for (const auto& [k, mv] : v.items()) {
        if (!mv.is_string()) {
          return bad(absl::StrCat("\"__metadata__\" value of '", k,
                                  "' is not a string"));
        }
        out->metadata_[k] = mv.get<std::string>();
      }
      continue;
    }
    auto t = ParseEntry(name, v, buffer_size);
    if (!t.ok()) return bad(std::string(t.status().message()));
    out->tensors_.push_back(std::move(*t));
  }
  // Overlap check over ranges sorted by begin; empty tensors overlap nothing.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : out->tensors_) {
    if (t.nbytes() > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) {
              return a->begin < b->begin;
            });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      return bad(absl::StrCat(
          "tensors '", by_offset[i - 1]->name, "' [", by_offset[i - 1]->begin,
          ", ", by_offset[i - 1]->end, ") and '", by_offset[i]->name, "' [",
          by_offset[i]->begin, ", ", by_offset[i]->end, ") overlap"));
    }
  }
  std::sort(
      out->tensors_.begin(), out->tensors_.end(),
      [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  out->file_ = std::move(file);
  return out;
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  auto it = std::lower_bound(
      tensors_.begin(), tensors_.end(), name,
      [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

std::span<const uint8_t> SafetensorsFile::Data(const TensorInfo& info) const {
  return {file_->data() + buffer_offset_ + info.begin, info.nbytes()};
}

}  // namespace ebb::inference::diffusion
