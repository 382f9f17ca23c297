// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/backend/resize.h
//
// Bilinear resampling of 8-bit RGB images, used to deliver a request larger
// than a model's native size (DiffusionTextToImage). Pixel centres are at
// (i + 0.5) (OpenCV's INTER_LINEAR and PyTorch's align_corners=False), edges
// clamped; results rounded to the nearest integer.
//
// Pure function; thread-safe.
#ifndef EBB_INFERENCE_DIFFUSION_BACKEND_RESIZE_H_
#define EBB_INFERENCE_DIFFUSION_BACKEND_RESIZE_H_

#include <cstdint>
#include <vector>

namespace ebb::inference::diffusion {

// `rgb` is src_w * src_h * 3 bytes, row-major; returns dst_w * dst_h * 3.
// Sizes must be >= 1 and rgb.size() must match (else an empty vector).
std::vector<uint8_t> ResizeBilinear(const std::vector<uint8_t>& rgb, int src_w,
                                    int src_h, int dst_w, int dst_h);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_BACKEND_RESIZE_H_
