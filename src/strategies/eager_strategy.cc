// SPDX-License-Identifier: Apache-2.0
// KEDA eagerScalingStrategy, v2.15+ (#5114,
// pkg/scaling/executor/scale_jobs.go). R already includes the pending jobs, so
// pending is subtracted twice, exactly as KEDA does.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strategies/strategy_impls.h"

namespace ebb::strategies {

StrategyResult EagerStrategy::EffectiveMaxScale(int64_t m, int64_t r, int64_t p,
                                                int64_t x, int64_t q) const {
  StrategyResult result;
  const int64_t room = x - r - p;
  result.effective_max = std::min(room, m);
  result.scale_to = x;
  result.formula =
      absl::StrCat("min(X - R - P, M) = min(", x, " - ", r, " - ", p, ", ", m,
                   ") = min(", room, ", ", m, ") = ", result.effective_max);
  return result;
}

}  // namespace ebb::strategies
