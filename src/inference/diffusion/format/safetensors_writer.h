// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/format/safetensors_writer.h
//
// Writes safetensors files: for tests (hand-built and random-weight models in
// the diffusers layout) and the benchmark tool that writes full-size random
// checkpoints. Tensors are laid out in the order given, back to back; the JSON
// header is padded with spaces to a multiple of 8 bytes so that every tensor
// of an aligned dtype starts aligned in a page-aligned mapping.
//
// Errors: InvalidArgument when a tensor's bytes do not match its shape and
// dtype, or a name repeats or is "__metadata__"; Internal on I/O failure.
// Thread-safety: stateless.
#ifndef EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_WRITER_H_
#define EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_WRITER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "inference/diffusion/format/safetensors.h"

namespace ebb::inference::diffusion {

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string bytes;  // numel * DTypeSize(dtype), little-endian, row-major
};

// The whole file's bytes.
absl::StatusOr<std::string> SerializeSafetensors(
    const std::vector<TensorToWrite>& tensors,
    const std::map<std::string, std::string>& metadata = {});

absl::Status WriteSafetensors(
    const std::string& path, const std::vector<TensorToWrite>& tensors,
    const std::map<std::string, std::string>& metadata = {});

// f32 -> IEEE half (round to nearest even) and -> bfloat16 (round to nearest
// even), for writing F16/BF16 test files. NaN stays NaN.
uint16_t FloatToHalf(float f);
uint16_t FloatToBFloat16(float f);
float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t b);

// `values` encoded as `dtype` (F32, F16 or BF16; InvalidArgument otherwise).
absl::StatusOr<std::string> EncodeFloats(const std::vector<float>& values,
                                         DType dtype);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_FORMAT_SAFETENSORS_WRITER_H_
