// SPDX-License-Identifier: Apache-2.0
//
// File: inference/sim/sim_text_to_image.h
//
// SimTextToImage: a STAND-IN for a text-to-image model, for tests, demos and
// benchmarks of the autoscaling machinery. It is NOT a neural model and does
// not understand the prompt: it paints a procedural landscape (sky gradient,
// sun, clouds, layered hills, grain) whose palette and shapes derive from a
// hash of the prompt and whose layout derives from the seed. The same request
// always gives the same pixels, on any machine that runs the same build.
//
// How the request maps to the picture:
//   prompt          palette (hue, scheme) and the shape of the hills
//   seed            sun position and size, cloud and ridge offsets
//   negative_prompt texture salt (a different grain and cloud field)
//   steps           detail: noise octaves grow with log2(steps), 1..6
//   guidance_scale  contrast and saturation (0 flat .. 30 vivid)
//   width, height   output size in pixels (64..2048, multiples of 8)
//
// Simulated costs: Load sleeps `load_ms`, each Generate sleeps `inference_ms`
// (through `sleep`, which tests replace with a FakeClock advance), split into
// `steps` equal steps with request.on_step called after each one, as a
// diffusion pipeline calls it between denoising steps (with inference_ms 0,
// once, after its single instant step). A prompt
// matching `fail_pattern` (ECMAScript regex, searched anywhere in the prompt)
// makes Generate fail with Internal "simulated failure", for failure tests.
//
// Threading: Load once, then Generate from one thread at a time.
#ifndef EBB_INFERENCE_SIM_SIM_TEXT_TO_IMAGE_H_
#define EBB_INFERENCE_SIM_SIM_TEXT_TO_IMAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inference/text_to_image.h"

namespace ebb::inference {

struct SimOptions {
  std::string model_name = "ebb-sim";  // ModelName(), recorded in results
  int64_t load_ms = 0;  // simulated Load time, ms (env EBB_SIM_LOAD_MS)
  int64_t inference_ms =
      0;  // simulated time per image, ms (env EBB_SIM_INFERENCE_MS)
  std::string fail_pattern;  // "" = never fail (env EBB_SIM_FAIL_PATTERN)
  // How simulated time passes; absl::SleepFor when empty.
  std::function<void(absl::Duration)> sleep;
};

// `base` with the EBB_SIM_LOAD_MS, EBB_SIM_INFERENCE_MS and
// EBB_SIM_FAIL_PATTERN environment variables applied where set.
// InvalidArgument when a time is not a non-negative integer.
absl::StatusOr<SimOptions> SimOptionsFromEnv(SimOptions base = {});

class SimTextToImage : public TextToImage {
 public:
  // InvalidArgument for a negative time or a fail_pattern that is not a valid
  // regex.
  static absl::StatusOr<std::unique_ptr<SimTextToImage>> Create(
      SimOptions options);

  // TextToImage (see the interface). Generate before Load is
  // FailedPrecondition.
  absl::Status Load() override;
  absl::StatusOr<Image> Generate(const GenerateRequest& request) override;
  std::string ModelName() const override { return options_.model_name; }

 private:
  SimOptions options_;
  std::optional<std::regex> fail_regex_;
  bool loaded_ = false;

  SimTextToImage(SimOptions options, std::optional<std::regex> fail_regex)
      : options_(std::move(options)), fail_regex_(std::move(fail_regex)) {}
};

// The pure renderer behind SimTextToImage, without size checks or simulated
// time: `request.width` x `request.height` RGB pixels. Exposed for benchmarks.
Image RenderSimImage(const GenerateRequest& request);

}  // namespace ebb::inference

#endif  // EBB_INFERENCE_SIM_SIM_TEXT_TO_IMAGE_H_
