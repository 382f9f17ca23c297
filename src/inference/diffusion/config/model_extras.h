// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/config/model_extras.h
//
// ebb's own key in a diffusers folder's model_index.json (diffusers ignores
// keys it does not know), parsed without libtorch so that `ebb up` can read a
// model's example prompts without loading it:
//
//   "ebb": {
//     "native_width": 32, "native_height": 32,   // the size it was trained at
//     "default_steps": 20,                        // when a request names none
//     "default_guidance_scale": 3.0,              // when a request names none
//     "example_prompts": ["a red circle on a blue background", ...]
//   }
//
// Every field is optional. A folder without the key (sd-turbo as downloaded)
// or a single-file checkpoint has no extras: requests then default to 1 step
// and guidance 1.0 (sd-turbo's settings, the reference demo's) and are
// generated at the size asked for.
//
// Errors: InvalidArgument naming the file, the field and the allowed range
// for a malformed value (native sizes: both, multiples of 8 in 8..2048;
// default_steps 1..150; default_guidance_scale 0..30; example_prompts an array
// of at most 32 non-empty strings). A missing or non-JSON model_index.json is
// not an error here (the pipeline's loader reports it).
//
// Thread-safety: plain values and a pure function.
#ifndef EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_EXTRAS_H_
#define EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_EXTRAS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

struct NativeSize {
  int width = 0, height = 0;  // pixels
};

struct ModelExtras {
  std::optional<NativeSize> native;
  std::optional<int> default_steps;
  std::optional<double> default_guidance_scale;
  std::vector<std::string> example_prompts;
};

// The extras of the model at `path` (a diffusers folder; anything else has
// none).
absl::StatusOr<ModelExtras> ReadModelExtras(const std::string& path);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_EXTRAS_H_
