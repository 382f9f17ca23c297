// SPDX-License-Identifier: Apache-2.0
//
// File: inference/text_to_image.h
//
// TextToImage: a model that turns a prompt into images. `ebb worker` is the
// only process that loads one; the controller never links a backend.
//
// Backends: sim/ — a deterministic procedural renderer with a configurable
// simulated load and inference time. It is a stand-in for tests and benchmarks,
// NOT a neural model: the same (prompt, seed, size) always gives the same
// pixels. The real diffusion pipeline is a later backend behind this same
// interface.
//
// Threading: Load once, then Generate from one thread at a time.
#ifndef EBB_INFERENCE_TEXT_TO_IMAGE_H_
#define EBB_INFERENCE_TEXT_TO_IMAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference {

// Progress of one Generate, reported after each denoising step.
struct StepProgress {
  int step = 0;   // steps done so far, 1..steps
  int steps = 0;  // steps this image takes in all
};

// What a progress callback asks of the model.
enum class StepAction {
  kContinue,  // go on with the next step
  kStop,      // abandon this image: Generate returns Cancelled promptly
};

// The progress callback contract:
//  - called by Generate on the thread that called Generate, synchronously,
//    after each denoising step (step = 1 after the first, ..., steps after
//    the last), never concurrently and never after Generate returned;
//  - it must be cheap (no I/O beyond logging) and must not call back into the
//    model;
//  - returning kStop makes Generate stop before the next step (after the last
//    step: before decoding the image) and return Cancelled ("stopped at step
//    k of n"), discarding the partial image; nothing else of the model's state
//    changes, so the model can Generate again. A backend with no steps calls it
//    at least once, before returning its image.
// Used by the worker to hand a request back promptly on SIGTERM.
using ProgressCallback = std::function<StepAction(const StepProgress&)>;

struct GenerateRequest {
  std::string prompt;
  std::string negative_prompt;
  uint64_t seed = 0;
  int steps = 1;
  int width = 512;   // pixels, multiple of 8, 64..2048
  int height = 512;  // pixels
  double guidance_scale = 1.0;
  // "" = the model's default; else a scheduler the backend knows (diffusion:
  // euler | euler_a | ddim | lcm); an unknown one is InvalidArgument.
  std::string scheduler;
  // Optional (empty = no reports): see ProgressCallback.
  ProgressCallback on_step;
};

// What ran and where the time went, for the record (`scheduler`, `steps`,
// `text_encode_ms`, ...). A backend fills what it knows and leaves the rest
// at its zero value.
struct GenerationInfo {
  std::string scheduler;  // the scheduler used ("" when none)
  int steps = 0;          // denoising steps actually run
  // Prompt tokens before truncation (BOS/EOS excluded); `truncated` when the
  // prompt was cut to the text encoder's context (77 for CLIP).
  int prompt_tokens = 0;
  bool truncated = false;
  // Wall milliseconds of each phase of this image: tokenizing the prompts,
  // the text encoder, the denoising loop (the sum of step_ms), decoding the
  // latents to pixels; step_ms has one entry per step run.
  double tokenize_ms = 0;
  double text_encode_ms = 0;
  double denoise_ms = 0;
  double decode_ms = 0;
  std::vector<double> step_ms;
  std::string device;  // where it ran: "cpu", "cuda" ("" = not stated)
  // The size the model generated at when smaller than the delivered image
  // (a model's native size, then upscaled); 0 = same as delivered.
  int native_width = 0;
  int native_height = 0;
};

// 8-bit RGB, row-major, no padding: pixels.size() == width * height * 3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
  GenerationInfo info;  // filled by Generate
};

// What a request that names no steps or guidance scale gets (the worker
// applies these to a task without them; `ebb generate` to unset flags).
// The base defaults are sd-turbo's settings, the reference demo's: 1 step,
// guidance 1.0. A model may declare its own (the diffusion backend reads them
// from model_index.json, config/model_extras.h).
struct GenerationDefaults {
  int steps = 1;
  double guidance_scale = 1.0;
};

class TextToImage {
 public:
  virtual ~TextToImage() = default;
  // Loads weights (or simulates it). Must succeed before Generate.
  virtual absl::Status Load() = 0;
  // One image for `request`. InvalidArgument for a size out of range; Internal
  // on a backend failure; Cancelled when request.on_step returned kStop.
  // Deterministic for a given request where the backend allows.
  virtual absl::StatusOr<Image> Generate(const GenerateRequest& request) = 0;
  // The model name recorded in results (`model`, `lcm_model_id`).
  virtual std::string ModelName() const = 0;
  // Defaults for what a request leaves out; valid after Load (a backend may
  // read them earlier). Thread-safe.
  virtual GenerationDefaults defaults() const { return {}; }
};

// PNG bytes of `image` (libpng, 8-bit RGB). InvalidArgument for an inconsistent
// image.
absl::StatusOr<std::string> EncodePng(const Image& image);

// Decodes a PNG (for tests and checks): InvalidArgument when not a PNG.
absl::StatusOr<Image> DecodePng(const std::string& png);

}  // namespace ebb::inference

#endif  // EBB_INFERENCE_TEXT_TO_IMAGE_H_
