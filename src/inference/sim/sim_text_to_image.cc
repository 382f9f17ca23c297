// SPDX-License-Identifier: Apache-2.0
#include "inference/sim/sim_text_to_image.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace ebb::inference {
namespace {

absl::Status ReadMsEnv(const char* name, int64_t& out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return absl::OkStatus();
  int64_t ms = 0;
  if (!absl::SimpleAtoi(v, &ms) || ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, "=\"", v, "\": want a non-negative integer (milliseconds)"));
  }
  out = ms;
  return absl::OkStatus();
}

absl::Status CheckSize(const char* what, int v) {
  if (v < 64 || v > 2048 || v % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", v, " out of range: want 64..2048 and a multiple of 8"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SimOptions> SimOptionsFromEnv(SimOptions base) {
  if (absl::Status s = ReadMsEnv("EBB_SIM_LOAD_MS", base.load_ms); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadMsEnv("EBB_SIM_INFERENCE_MS", base.inference_ms);
      !s.ok()) {
    return s;
  }
  if (const char* p = std::getenv("EBB_SIM_FAIL_PATTERN"); p != nullptr) {
    base.fail_pattern = p;
  }
  return base;
}

absl::StatusOr<std::unique_ptr<SimTextToImage>> SimTextToImage::Create(
    SimOptions options) {
  if (options.load_ms < 0 || options.inference_ms < 0) {
    return absl::InvalidArgumentError("simulated times must be >= 0 ms");
  }
  if (options.model_name.empty()) options.model_name = "ebb-sim";
  if (!options.sleep) {
    options.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  }
  std::optional<std::regex> fail;
  if (!options.fail_pattern.empty()) {
    try {
      fail.emplace(options.fail_pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("fail pattern \"", options.fail_pattern,
                       "\" is not a valid regex: ", e.what()));
    }
  }
  return std::unique_ptr<SimTextToImage>(
      new SimTextToImage(std::move(options), std::move(fail)));
}

absl::Status SimTextToImage::Load() {
  if (options_.load_ms > 0)
    options_.sleep(absl::Milliseconds(options_.load_ms));
  loaded_ = true;
  EBB_LOG_INFO(
      "sim model {} loaded (simulated {} ms; a stand-in, not a "
      "neural model)",
      options_.model_name, options_.load_ms);
  return absl::OkStatus();
}

absl::StatusOr<Image> SimTextToImage::Generate(const GenerateRequest& request) {
  if (!loaded_) {
    return absl::FailedPreconditionError("Generate before Load");
  }
  if (absl::Status s = CheckSize("width", request.width); !s.ok()) return s;
  if (absl::Status s = CheckSize("height", request.height); !s.ok()) return s;
  if (request.steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("steps ", request.steps, " out of range: want >= 1"));
  }
  // The simulated inference time, split into the request's steps (a step
  // gets inference_ms / steps, the first ones one more ms for the remainder).
  const int steps = options_.inference_ms > 0 ? request.steps : 1;
  for (int k = 1; k <= steps; ++k) {
    const int64_t ms = options_.inference_ms / steps +
                       (k <= options_.inference_ms % steps ? 1 : 0);
    if (ms > 0) options_.sleep(absl::Milliseconds(ms));
    if (request.on_step && request.on_step({k, steps}) == StepAction::kStop) {
      return absl::CancelledError(
          absl::StrCat("stopped at step ", k, " of ", steps));
    }
  }
  if (fail_regex_.has_value() &&
      std::regex_search(request.prompt, *fail_regex_)) {
    return absl::InternalError("simulated failure");
  }
  Image image = RenderSimImage(request);
  // What ran: no scheduler, no tokenizer; the simulated time counts as
  // denoising.
  image.info.scheduler = "sim";
  image.info.steps = request.steps;
  image.info.device = "cpu";
  image.info.denoise_ms = static_cast<double>(options_.inference_ms);
  return image;
}

}  // namespace ebb::inference
