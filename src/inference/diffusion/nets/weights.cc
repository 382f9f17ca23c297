// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/weights.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace ebb::inference::diffusion {

absl::StatusOr<std::unique_ptr<WeightStore>> WeightStore::Open(
    const std::vector<std::string>& paths) {
  auto store = std::unique_ptr<WeightStore>(new WeightStore());
  for (const auto& path : paths) {
    EBB_ASSIGN_OR_RETURN(std::shared_ptr<const SafetensorsFile> file,
                         SafetensorsFile::Open(path));
    for (const auto& t : file->tensors()) {
      auto [it, fresh] = store->index_.emplace(t.name, Entry{file, &t});
      if (!fresh) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor '", t.name, "' is in both ",
                         it->second.file->path(), " and ", path));
      }
    }
    store->files_.push_back(std::move(file));
  }
  return store;
}

std::string WeightStore::Describe() const {
  std::vector<std::string> names;
  for (const auto& f : files_) names.push_back(f->path());
  return absl::StrJoin(names, ", ");
}

bool WeightStore::Has(const std::string& name) const {
  return index_.count(name) > 0;
}

const TensorInfo* WeightStore::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second.info;
}

absl::StatusOr<at::Tensor> WeightStore::Get(const std::string& name,
                                            const std::vector<int64_t>& shape) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    return absl::NotFoundError(
        absl::StrCat("tensor '", name, "' is missing from ", Describe(),
                     " (expected shape ", ShapeString(shape), ")"));
  }
  const auto& [file, info] = it->second;
  if (info->shape != shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "' in ", file->path(), " has shape ",
                     ShapeString(info->shape), " but the config expects ",
                     ShapeString(shape)));
  }
  at::ScalarType type;
  switch (info->dtype) {
    case DType::kF32:
      type = at::kFloat;
      break;
    case DType::kF16:
      type = at::kHalf;
      break;
    case DType::kBF16:
      type = at::kBFloat16;
      break;
    case DType::kF64:
      type = at::kDouble;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", name, "' in ", file->path(), " has dtype ",
          DTypeName(info->dtype), "; weights must be F32, F16, BF16 or F64"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    used_.insert(name);
  }
  auto bytes = file->Data(*info);
  void* data = const_cast<uint8_t*>(bytes.data());
  auto keep = file;  // the tensor keeps the mapping alive
  at::Tensor view = at::from_blob(
      data, shape, [keep](void*) {}, at::TensorOptions().dtype(type));
  bool aligned =
      reinterpret_cast<uintptr_t>(data) % DTypeSize(info->dtype) == 0;
  if (type == at::kFloat && aligned) return view;
  if (!aligned) view = view.clone();  // element reads must be aligned
  return view.to(at::kFloat);
}

std::vector<std::string> WeightStore::Unused() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, e] : index_) {
    if (!used_.count(name)) out.push_back(name);
  }
  return out;
}

absl::StatusOr<at::Tensor> SpecRecorder::Get(
    const std::string& name, const std::vector<int64_t>& shape) {
  specs_.push_back({name, shape});
  return at::empty(shape, at::kFloat);
}

}  // namespace ebb::inference::diffusion
