// SPDX-License-Identifier: Apache-2.0
//
// ebb-generate: one-shot text-to-image with a diffusers Stable Diffusion
// folder, without a queue. The only binary (with its tests) that loads
// libtorch; `ebb` never does. Prints where the time went to stderr.
#include <ATen/Parallel.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "common/files.h"
#include "inference/diffusion/pipeline/pipeline.h"
#include "inference/text_to_image.h"

namespace {

constexpr const char* kUsage =
    "Usage: ebb-generate -m MODEL_DIR [options] \"PROMPT\"\n"
    "  -m, --model DIR          diffusers folder (model_index.json, unet/, "
    "...)\n"
    "  --negative-prompt TEXT   used when --guidance-scale > 1\n"
    "  --seed N                 noise seed (default 0): same request, same "
    "PNG\n"
    "  --steps N                denoising steps (default 1)\n"
    "  --guidance-scale G       classifier-free guidance (default 1.0: none)\n"
    "  --scheduler NAME         euler | euler_a | ddim | lcm (default: the\n"
    "                           folder's scheduler_config.json)\n"
    "  --width W, --height H    pixels, multiples of 8 (default 512)\n"
    "  --threads N              libtorch threads (default: online CPUs)\n"
    "  --out FILE               PNG to write (default out.png)\n";

int Fail(const std::string& msg) {
  std::fprintf(stderr, "ebb-generate: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // First-touch page faults of fresh large buffers dominate on small VMs:
  // keep freed memory in the heap instead of returning it to the kernel.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 1 << 30);

  ebb::inference::diffusion::PipelineRequest req;
  std::string model, out = "out.png";
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    auto num = [&](auto* v) {
      const char* s = next();
      return s != nullptr && absl::SimpleAtoi(s, v);
    };
    bool ok = true;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-m" || a == "--model") {
      const char* s = next();
      ok = s != nullptr;
      if (ok) model = s;
    } else if (a == "--negative-prompt") {
      const char* s = next();
      ok = s != nullptr;
      if (ok) req.negative_prompt = s;
    } else if (a == "--scheduler") {
      const char* s = next();
      ok = s != nullptr;
      if (ok) req.scheduler = s;
    } else if (a == "--out") {
      const char* s = next();
      ok = s != nullptr;
      if (ok) out = s;
    } else if (a == "--seed") {
      ok = num(&req.seed);
    } else if (a == "--steps") {
      ok = num(&req.steps);
    } else if (a == "--width") {
      ok = num(&req.width);
    } else if (a == "--height") {
      ok = num(&req.height);
    } else if (a == "--threads") {
      ok = num(&threads) && threads > 0;
    } else if (a == "--guidance-scale") {
      const char* s = next();
      ok = s != nullptr && absl::SimpleAtod(s, &req.guidance_scale);
    } else if (!a.empty() && a[0] == '-') {
      return Fail("unknown option " + a + "\n" + kUsage);
    } else {
      req.prompt = a;
    }
    if (!ok) return Fail("option " + a + " needs a valid value\n" + kUsage);
  }
  if (model.empty())
    return Fail(std::string("-m MODEL_DIR is required\n") + kUsage);
  at::set_num_threads(static_cast<int>(threads));

  auto t0 = std::chrono::steady_clock::now();
  auto pipeline = ebb::inference::diffusion::Pipeline::Load(model);
  if (!pipeline.ok()) return Fail(std::string(pipeline.status().message()));
  double load_ms = std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
  auto result = (*pipeline)->Generate(req, [](int done, int total) {
    std::fprintf(stderr, "step %d/%d\n", done, total);
    return true;
  });
  if (!result.ok()) return Fail(std::string(result.status().message()));
  ebb::inference::Image image{result->width, result->height, result->rgb};
  t0 = std::chrono::steady_clock::now();
  auto png = ebb::inference::EncodePng(image);
  if (!png.ok()) return Fail(std::string(png.status().message()));
  auto written = ebb::WriteFileAtomic(out, *png);
  if (!written.ok()) return Fail(std::string(written.message()));
  double png_ms = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
  const auto& t = result->timings;
  std::fprintf(stderr,
               "%s: %dx%d, %s, %d steps, %d prompt tokens%s, %d threads\n"
               "load %.0f ms, tokenize %.2f ms, text encoder %.0f ms, "
               "denoise %.0f ms, decode %.0f ms, png %.0f ms\n",
               out.c_str(), result->width, result->height,
               result->scheduler.c_str(), result->steps, result->prompt_tokens,
               result->truncated ? " (truncated to 75)" : "",
               static_cast<int>(threads), load_ms, t.tokenize_ms,
               t.text_encode_ms, t.denoise_ms(), t.decode_ms, png_ms);
  for (size_t i = 0; i < t.step_ms.size(); ++i) {
    std::fprintf(stderr, "  step %zu: %.0f ms\n", i + 1, t.step_ms[i]);
  }
  return 0;
}
