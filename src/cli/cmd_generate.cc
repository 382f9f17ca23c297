// SPDX-License-Identifier: Apache-2.0
// `ebb generate` (ebb-diffusion only): one-shot generation without a queue,
// printing where the time went.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/diffusion_model.h"
#include "common/files.h"

namespace ebb::cli {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

double Round1(double ms) { return std::round(ms * 10) / 10; }

int Fail(const std::string& what, const absl::Status& s) {
  std::cerr << "ebb generate: " << what << s.message() << "\n";
  return absl::IsInvalidArgument(s) ? kExitUsage : kExitFailure;
}

}  // namespace

int RunGenerate(const GenerateOptions& o) {
  DiffusionSetup setup;
  auto model = MakeDiffusionModel(o.model, &setup);
  if (!model.ok())
    return Fail(absl::StrCat("model ", o.model.model, ": "), model.status());
  auto t0 = std::chrono::steady_clock::now();
  if (absl::Status s = (*model)->Load(); !s.ok()) {
    return Fail(absl::StrCat("model ", o.model.model, ": "), s);
  }
  const double load_ms = MsSince(t0);
  const bool text = o.output == "text";
  uint64_t seed = 0;
  if (o.seed.has_value()) {
    seed = static_cast<uint64_t>(*o.seed);
  } else {
    seed = std::random_device()() & 0xFFFFFFFFULL;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (text) {
    std::cout << absl::StrFormat(
        "model %s (%s): loaded in %.0f ms; device %s, dtype %s, %d threads "
        "(%s)\n",
        (*model)->ModelName(), o.model.model, load_ms, setup.device,
        o.model.dtype, setup.threads, setup.threads_source);
  }
  nlohmann::json images = nlohmann::json::array();
  for (int n = 1; n <= o.count; ++n) {
    inference::GenerateRequest r;
    r.prompt = o.prompt;
    r.negative_prompt = o.negative_prompt;
    r.seed = seed + static_cast<uint64_t>(n - 1);
    const inference::GenerationDefaults defaults = (*model)->defaults();
    r.steps = o.steps.value_or(defaults.steps);
    r.guidance_scale = o.guidance_scale.value_or(defaults.guidance_scale);
    r.scheduler = o.scheduler;
    r.width = o.width;
    r.height = o.height;
    r.on_step = [](const inference::StepProgress& p) {
      std::fprintf(stderr, "step %d/%d\n", p.step, p.steps);
      return inference::StepAction::kContinue;
    };
    auto image = (*model)->Generate(r);
    if (!image.ok()) return Fail("", image.status());
    t0 = std::chrono::steady_clock::now();
    auto png = inference::EncodePng(*image);
    if (!png.ok()) return Fail("", png.status());
    const double png_ms = MsSince(t0);
    t0 = std::chrono::steady_clock::now();
    const std::string file = (std::filesystem::path(o.out_dir) /
                              absl::StrCat("ebb-", r.seed, ".png"))
                                 .string();
    if (absl::Status s = WriteFileAtomic(file, *png); !s.ok()) {
      return Fail("", s);
    }
    const double write_ms = MsSince(t0);  // fsync included
    const inference::GenerationInfo& i = image->info;
    nlohmann::json steps = nlohmann::json::array();
    for (double ms : i.step_ms) steps.push_back(Round1(ms));
    images.push_back(
        {{"file", file},
         {"seed", r.seed},
         {"width", image->width},
         {"height", image->height},
         {"native_width", i.native_width ? i.native_width : image->width},
         {"native_height", i.native_height ? i.native_height : image->height},
         {"scheduler", i.scheduler},
         {"steps", i.steps},
         {"prompt_tokens", i.prompt_tokens},
         {"truncated", i.truncated},
         {"device", i.device},
         {"tokenize_ms", Round1(i.tokenize_ms)},
         {"text_encode_ms", Round1(i.text_encode_ms)},
         {"step_ms", steps},
         {"denoise_ms", Round1(i.denoise_ms)},
         {"decode_ms", Round1(i.decode_ms)},
         {"png_ms", Round1(png_ms)},
         {"write_ms", Round1(write_ms)}});
    if (!text) continue;
    std::cout << absl::StrFormat(
        "image %d/%d: %s (%dx%d%s), seed %d, %s, %d step(s), %d prompt "
        "token(s)%s\n  tokenize %.1f ms, text encoder %.0f ms, denoise %.0f "
        "ms (",
        n, o.count, file, image->width, image->height,
        i.native_width ? absl::StrCat(" upscaled from ", i.native_width, "x",
                                      i.native_height)
                       : std::string(),
        r.seed, i.scheduler, i.steps, i.prompt_tokens,
        i.truncated ? " (TRUNCATED to 75: see `ebb tokenize`)" : "",
        i.tokenize_ms, i.text_encode_ms, i.denoise_ms);
    for (size_t k = 0; k < i.step_ms.size(); ++k) {
      std::cout << (k ? ", " : "") << "step " << k + 1 << " "
                << absl::StrFormat("%.0f", i.step_ms[k]) << " ms";
    }
    std::cout << absl::StrFormat(
        "), decode %.0f ms, png %.0f ms, write %.0f ms\n", i.decode_ms, png_ms,
        write_ms);
  }
  if (!text) {
    std::cout << nlohmann::json{{"model", (*model)->ModelName()},
                                {"path", o.model.model},
                                {"device", setup.device},
                                {"dtype", o.model.dtype},
                                {"threads", setup.threads},
                                {"load_ms", Round1(load_ms)},
                                {"images", images}}
                     .dump()
              << "\n";
  }
  return kExitOk;
}

}  // namespace ebb::cli
