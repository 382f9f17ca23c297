// SPDX-License-Identifier: Apache-2.0
//
// ebb-score-shapes: how well a shapes model (models/ebb-shapes) follows its
// prompts, judged by pixel statistics alone. See score.h.
#include <ATen/Parallel.h>
#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "inference/text_to_image.h"
#include "tools/score_shapes/score.h"

namespace {

constexpr const char* kUsage =
    "Usage: ebb-score-shapes --model DIR [options]\n"
    "Generates images for captions x seeds through ebb's pipeline and prints\n"
    "how often the background colour, the shape's colour and the shape are\n"
    "right, for trained and for held-out colour/shape combinations.\n"
    "  --model DIR       diffusers folder (e.g. models/ebb-shapes)\n"
    "  --seen N          cases from trained combinations (default 200)\n"
    "  --held N          cases from held-out combinations (default 100)\n"
    "  --seed N          case seed (default 1)\n"
    "  --steps N         denoising steps (default: the model's)\n"
    "  --guidance G      guidance scale (default: the model's)\n"
    "  --scheduler NAME  euler | euler_a | ddim | lcm (default: the model's)\n"
    "  --threads N       libtorch threads (default 2)\n"
    "  --dump DIR        also write every image as PNG, named by verdict\n"
    "  --self-test       judge the synthetic generator's own images instead\n";

int Usage(const std::string& msg) {
  std::fprintf(stderr, "ebb-score-shapes: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  namespace ss = ebb::tools::score_shapes;
  namespace diff = ebb::inference::diffusion;
  std::string model, dump, scheduler;
  int seen = 200, held = 100, threads = 2, steps = 0;
  uint64_t seed = 1;
  double guidance = -1;
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--self-test") {
      self_test = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(a + " needs a value");
    const std::string v = argv[++i];
    bool ok = true;
    if (a == "--model") {
      model = v;
    } else if (a == "--dump") {
      dump = v;
    } else if (a == "--scheduler") {
      scheduler = v;
    } else if (a == "--seen") {
      ok = absl::SimpleAtoi(v, &seen) && seen >= 0;
    } else if (a == "--held") {
      ok = absl::SimpleAtoi(v, &held) && held >= 0;
    } else if (a == "--seed") {
      ok = absl::SimpleAtoi(v, &seed);
    } else if (a == "--steps") {
      ok = absl::SimpleAtoi(v, &steps) && steps > 0;
    } else if (a == "--threads") {
      ok = absl::SimpleAtoi(v, &threads) && threads > 0;
    } else if (a == "--guidance") {
      ok = absl::SimpleAtod(v, &guidance) && guidance >= 0;
    } else {
      return Usage("unknown option " + a);
    }
    if (!ok) return Usage("bad value for " + a + ": \"" + v + "\"");
  }
  const auto cases = ss::MakeCases(seen, held, seed);
  if (self_test) {
    std::fputs(ss::FormatReport(ss::ScoreGenerator(cases, 32)).c_str(), stdout);
    return 0;
  }
  if (model.empty()) return Usage("--model DIR is required");
  at::set_num_threads(threads);
  auto pipeline = diff::Pipeline::Load(model);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "ebb-score-shapes: %s\n",
                 std::string(pipeline.status().message()).c_str());
    return 1;
  }
  const ss::ModelDefaults d = ss::ReadDefaults(model);
  diff::PipelineRequest base;
  base.width = d.width;
  base.height = d.height;
  base.steps = steps > 0 ? steps : d.steps;
  base.guidance_scale = guidance >= 0 ? guidance : d.guidance;
  base.scheduler = scheduler;
  if (!dump.empty()) std::filesystem::create_directories(dump);
  int index = 0;
  auto report = ss::Score(
      **pipeline, cases, base,
      [&](const ss::Case& c, const diff::PipelineResult& out,
          const ss::shapes::Reading& r) {
        ++index;
        if (dump.empty()) return;
        ss::shapes::Verdict v = ss::shapes::Check(r, c.scene);
        ebb::inference::Image img;
        img.width = out.width;
        img.height = out.height;
        img.pixels = out.rgb;
        auto png = ebb::inference::EncodePng(img);
        if (!png.ok()) return;
        std::string name = absl::StrCat(
            index, c.held_out ? "_held_" : "_seen_", v.background ? "B" : "b",
            v.colour ? "C" : "c", v.shape ? "S" : "s", "_", c.caption, ".png");
        for (char& ch : name) {
          if (ch == ' ' || ch == ',') ch = '_';
        }
        (void)ebb::WriteFileAtomic(
            (std::filesystem::path(dump) / name).string(), *png);
      });
  if (!report.ok()) {
    std::fprintf(stderr, "ebb-score-shapes: %s\n",
                 std::string(report.status().message()).c_str());
    return 1;
  }
  std::printf("model %s: %dx%d, %d steps, guidance %.1f\n", model.c_str(),
              base.width, base.height, base.steps, base.guidance_scale);
  std::fputs(ss::FormatReport(*report).c_str(), stdout);
  return 0;
}
