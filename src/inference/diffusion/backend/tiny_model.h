// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/backend/tiny_model.h
//
// For tests only: writes a tiny Stable Diffusion diffusers folder with random
// weights (CLIP's real merges, a 2-layer text encoder, a 2-level UNet and VAE
// decoder; 64x64 images in well under a second on one core), so that tests
// run the real pipeline end to end. Also built as the `ebb-tiny-model DIR`
// tool for shell and end-to-end tests.
#ifndef EBB_INFERENCE_DIFFUSION_BACKEND_TINY_MODEL_H_
#define EBB_INFERENCE_DIFFUSION_BACKEND_TINY_MODEL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace ebb::inference::diffusion {

struct TinyModelOptions {
  std::string merges_path;  // CLIP merges.txt (third_party/clip/merges.txt)
  // Written as "ebb": {"native_width", "native_height"} when set.
  std::optional<int> native_width, native_height;
};

// Writes the folder `dir` (created; existing files overwritten).
absl::Status WriteTinyModel(const std::string& dir,
                            const TinyModelOptions& options);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_BACKEND_TINY_MODEL_H_
