// SPDX-License-Identifier: Apache-2.0
// KEDA accurateScalingStrategy as of v2.19 (#7329,
// pkg/scaling/executor/scale_jobs.go).
#include "absl/strings/str_cat.h"
#include "strategies/strategy_impls.h"

namespace ebb::strategies {

StrategyResult AccurateStrategy::EffectiveMaxScale(int64_t m, int64_t r,
                                                   int64_t p, int64_t x,
                                                   int64_t q) const {
  StrategyResult result;
  result.scale_to = q;
  const int64_t total = m + r - p;
  if (total > x) {
    result.effective_max = x - r;
    result.formula =
        absl::StrCat("M + R - P = ", m, " + ", r, " - ", p, " = ", total,
                     " > X = ", x, ", so X - R = ", x, " - ", r, " = ", x - r);
  } else {
    result.effective_max = m - p;
    result.formula =
        absl::StrCat("M + R - P = ", m, " + ", r, " - ", p, " = ", total,
                     " <= X = ", x, ", so M - P = ", m, " - ", p, " = ", m - p);
  }
  return result;
}

}  // namespace ebb::strategies
