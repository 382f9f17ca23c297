// SPDX-License-Identifier: Apache-2.0
// KEDA defaultScalingStrategy (pkg/scaling/executor/scale_jobs.go).
#include "absl/strings/str_cat.h"
#include "strategies/strategy_impls.h"

namespace ebb::strategies {

StrategyResult DefaultStrategy::EffectiveMaxScale(int64_t m, int64_t r,
                                                  int64_t p, int64_t x,
                                                  int64_t q) const {
  StrategyResult result;
  result.effective_max = m - r;
  result.scale_to = q;
  result.formula = absl::StrCat("M - R = ", m, " - ", r, " = ", m - r);
  return result;
}

}  // namespace ebb::strategies
