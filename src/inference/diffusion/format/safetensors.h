// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/format/safetensors.h
//
// A reader for the safetensors format (huggingface/safetensors): the file is
//
//   [8 bytes: N, unsigned 64-bit little-endian]
//   [N bytes: UTF-8 JSON header]
//   [byte buffer]
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end)}, offsets relative to the start of the byte buffer (file offset
// 8 + N); tensors are row-major and little-endian. An optional "__metadata__"
// entry is a flat string -> string map, not a tensor.
//
// Open() memory-maps the file (MappedFile) and validates the whole header
// before returning, so a caller never sees a tensor whose bytes lie outside
// the file:
//   - N <= Limits::max_header_bytes (100 MB by default, as the reference
//     implementation) and 8 + N <= file size;
//   - the header is a JSON object; every entry has a known dtype, a shape of
//     non-negative integers (numel must not overflow), and data_offsets
//     [begin, end] with begin <= end <= buffer size;
//   - end - begin == numel * dtype size;
//   - no two tensors' byte ranges overlap. (Gaps are tolerated.)
// Memory use is bounded by the header size: the buffer is never read.
//
// Errors: whatever MappedFile::Open returns for the path; InvalidArgument for
// every malformed file, the message naming the file, the tensor and what was
// wrong. Pickle checkpoints (.ckpt/.pt/.pth/.bin) are refused with an
// explanation by CheckWeightFileFormat (weight_format.h), which Open calls
// first.
//
// Thread-safety: immutable after Open; TensorInfo pointers and data spans stay
// valid for the SafetensorsFile's lifetime.
#ifndef EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_H_
#define EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/format/mapped_file.h"

namespace ebb::inference::diffusion {

enum class DType {
  kF64,
  kF32,
  kF16,
  kBF16,
  kI64,
  kI32,
  kI16,
  kI8,
  kU8,
  kBool,
  kF8E4M3,
  kF8E5M2,
};

// Bytes per element (BOOL is one byte, as in the format).
size_t DTypeSize(DType dtype);
// The format's spelling: "F32", "BF16", "F8_E4M3", ...
const char* DTypeName(DType dtype);
// Parses the format's spelling; nullopt for an unknown dtype.
std::optional<DType> ParseDType(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // [] is a scalar
  uint64_t begin = 0;          // byte offset into the buffer
  uint64_t end = 0;            // exclusive
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// "[320, 4, 3, 3]".
std::string ShapeString(const std::vector<int64_t>& shape);

class SafetensorsFile {
 public:
  struct Limits {
    uint64_t max_header_bytes = 100'000'000;
  };

  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(
      const std::string& path, Limits limits);
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(
      const std::string& path) {
    return Open(path, Limits());
  }

  const std::string& path() const { return file_->path(); }
  // Tensors sorted by name.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const TensorInfo* Find(std::string_view name) const;
  // The tensor's bytes inside the mapping (little-endian, row-major).
  std::span<const uint8_t> Data(const TensorInfo& info) const;
  const std::map<std::string, std::string>& metadata() const {
    return metadata_;
  }

 private:
  SafetensorsFile() = default;
  std::unique_ptr<MappedFile> file_;
  uint64_t buffer_offset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_H_
