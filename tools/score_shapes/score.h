// SPDX-License-Identifier: Apache-2.0
//
// File: tools/score_shapes/score.h
//
// Scores a shapes model (models/ebb-shapes) through the ordinary Pipeline:
// generates one image per (caption, seed) case and judges it by pixel
// statistics alone (inference/diffusion/shapes/judge.h): background colour,
// shape colour and shape right or not. Rates are reported separately for
// combinations seen in training (new seeds) and held-out combinations
// (captions never seen in training).
//
// Errors: the pipeline's. Thread-safety: one Score call per Pipeline at a
// time (Pipeline::Generate is single-threaded).
#ifndef EBB_TOOLS_SCORE_SHAPES_SCORE_H_
#define EBB_TOOLS_SCORE_SHAPES_SCORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/pipeline/pipeline.h"
#include "inference/diffusion/shapes/judge.h"
#include "inference/diffusion/shapes/world.h"

namespace ebb::tools::score_shapes {

namespace shapes = ::ebb::inference::diffusion::shapes;

struct Case {
  shapes::Scene scene;
  std::string caption;
  uint64_t seed = 0;
  bool held_out = false;
};

// `seen` cases from combinations used in training and `held` cases from the
// held-out combinations, spread over all combinations and phrasings,
// deterministically from `seed` (noise seeds start at 1000 + seed * 100000,
// never used by the trainer, which draws no pipeline seeds at all).
std::vector<Case> MakeCases(int seen, int held, uint64_t seed);

struct Rates {
  int n = 0, background = 0, colour = 0, shape = 0;
  double Rate(int hits) const { return n ? 100.0 * hits / n : 0.0; }
};

struct Report {
  Rates seen, held_out;
  double ms_per_image = 0;  // mean Generate wall time
};

// The folder's defaults from model_index.json's "ebb" section (native size,
// default_steps, default_guidance_scale); fallbacks 32x32, 20 steps, 3.0.
struct ModelDefaults {
  int width = 32, height = 32, steps = 20;
  double guidance = 3.0;
};
ModelDefaults ReadDefaults(const std::string& model_dir);

// Generates and judges every case with `base` (prompt and seed replaced per
// case). `each` (may be empty) sees every image and its verdict.
using EachImage =
    std::function<void(const Case&, const inference::diffusion::PipelineResult&,
                       const shapes::Reading&)>;
absl::StatusOr<Report> Score(inference::diffusion::Pipeline& pipeline,
                             const std::vector<Case>& cases,
                             const inference::diffusion::PipelineRequest& base,
                             const EachImage& each = {});

// The same judge on the synthetic generator's own images of `cases` (the
// judge's self-check; should be ~100 %).
Report ScoreGenerator(const std::vector<Case>& cases, int size);

std::string FormatReport(const Report& r);

}  // namespace ebb::tools::score_shapes

#endif  // EBB_TOOLS_SCORE_SHAPES_SCORE_H_
