// SPDX-License-Identifier: Apache-2.0
#include "tools/score_shapes/score.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "common/files.h"
#include "inference/diffusion/config/model_extras.h"

namespace ebb::tools::score_shapes {
namespace {

void Add(Rates& r, const shapes::Verdict& v) {
  ++r.n;
  r.background += v.background;
  r.colour += v.colour;
  r.shape += v.shape;
}

std::string Line(const char* name, const Rates& r) {
  return absl::StrFormat(
      "%-22s n=%4d  background %5.1f %%  shape colour %5.1f %%  shape %5.1f "
      "%%\n",
      name, r.n, r.Rate(r.background), r.Rate(r.colour), r.Rate(r.shape));
}

}  // namespace

std::vector<Case> MakeCases(int seen, int held, uint64_t seed) {
  std::vector<shapes::Scene> seen_combos, held_combos;
  for (const auto& s : shapes::AllCombinations()) {
    (shapes::IsHeldOut(s.colour, s.background, s.shape) ? held_combos
                                                        : seen_combos)
        .push_back(s);
  }
  shapes::Rng rng(seed * 7919 + 13);
  std::vector<Case> out;
  uint64_t noise_seed = 1000 + seed * 100000;
  auto take = [&](const std::vector<shapes::Scene>& combos, int n, bool h) {
    // Walk the combinations in a shuffled order, cycling phrasings.
    std::vector<int> order(combos.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng.Below(static_cast<int>(i))]);
    }
    for (int i = 0; i < n; ++i) {
      Case c;
      c.scene = combos[order[i % order.size()]];
      c.caption =
          shapes::Caption(c.scene, (i + rng.Below(2)) % shapes::kNumTemplates);
      c.seed = noise_seed++;
      c.held_out = h;
      out.push_back(c);
    }
  };
  take(seen_combos, seen, false);
  take(held_combos, held, true);
  return out;
}

ModelDefaults ReadDefaults(const std::string& model_dir) {
  ModelDefaults d;
  auto x = inference::diffusion::ReadModelExtras(model_dir);
  if (!x.ok()) return d;
  if (x->native) {
    d.width = x->native->width;
    d.height = x->native->height;
  }
  d.steps = x->default_steps.value_or(d.steps);
  d.guidance = x->default_guidance_scale.value_or(d.guidance);
  return d;
}

absl::StatusOr<Report> Score(inference::diffusion::Pipeline& pipeline,
                             const std::vector<Case>& cases,
                             const inference::diffusion::PipelineRequest& base,
                             const EachImage& each) {
  Report rep;
  double total_ms = 0;
  for (const Case& c : cases) {
    auto r = base;
    r.prompt = c.caption;
    r.seed = c.seed;
    const auto t0 = std::chrono::steady_clock::now();
    auto out = pipeline.Generate(r, {});
    if (!out.ok()) return out.status();
    total_ms += std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
    shapes::Reading reading = shapes::Judge(out->rgb, out->width, out->height);
    Add(c.held_out ? rep.held_out : rep.seen, shapes::Check(reading, c.scene));
    if (each) each(c, *out, reading);
  }
  rep.ms_per_image = cases.empty() ? 0 : total_ms / cases.size();
  return rep;
}

Report ScoreGenerator(const std::vector<Case>& cases, int size) {
  Report rep;
  for (const Case& c : cases) {
    shapes::Rng rng(c.seed);
    auto layout = shapes::RandomLayout(c.scene.size, size, rng);
    auto rgb = shapes::Render(c.scene, layout, size, size);
    Add(c.held_out ? rep.held_out : rep.seen,
        shapes::Check(shapes::Judge(rgb, size, size), c.scene));
  }
  return rep;
}

std::string FormatReport(const Report& r) {
  return Line("trained combinations", r.seen) +
         Line("held-out combinations", r.held_out) +
         absl::StrFormat("%.0f ms per image\n", r.ms_per_image);
}

}  // namespace ebb::tools::score_shapes
