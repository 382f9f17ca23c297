// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/format/weight_format.h
//
// What kind of weight file a path is, by content first (magic bytes) and by
// name second, and the refusal of the kinds ebb does not load.
//
//   safetensors  8-byte little-endian header length, then '{'
//   pickle       a PyTorch checkpoint: a zip ("PK\3\4", torch >= 1.6) or a
//                legacy pickle stream (0x80, protocol 2..5); or, when the
//                content is not recognised, a .ckpt/.pt/.pth/.bin/.pkl name
//   gguf         "GGUF" magic (ggml's quantized format)
//
// Thread-safety: stateless.
#ifndef EBB_INFERENCE_DIFFUSION_FORMAT_WEIGHT_FORMAT_H_
#define EBB_INFERENCE_DIFFUSION_FORMAT_WEIGHT_FORMAT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

enum class WeightFormat { kSafetensors, kPickle, kGguf, kUnknown };

// Reads the first bytes of `path`. NotFound when missing; InvalidArgument for
// a directory; Internal for other I/O errors.
absl::StatusOr<WeightFormat> DetectWeightFormat(const std::string& path);

// OK for a safetensors file. Otherwise InvalidArgument explaining why the file
// is refused and what to do:
//   pickle: unpickling runs code stored in the file, so ebb never loads one;
//           the message gives the one-line Python conversion to safetensors;
//   gguf:   not supported (ebb computes in f32/bf16 with libtorch);
//   unknown: not a safetensors file (first bytes do not parse).
// Plus DetectWeightFormat's errors.
absl::Status CheckWeightFileFormat(const std::string& path);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_FORMAT_WEIGHT_FORMAT_H_
