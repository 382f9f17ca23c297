// SPDX-License-Identifier: Apache-2.0
// KEDA customScalingStrategy (pkg/scaling/executor/scale_jobs.go).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strategies/strategy_impls.h"

namespace ebb::strategies {

StrategyResult CustomStrategy::EffectiveMaxScale(int64_t m, int64_t r,
                                                 int64_t p, int64_t x,
                                                 int64_t q) const {
  // Go: int64(float64(runningJobCount) * pct) truncates toward zero.
  const int64_t running_credit =
      static_cast<int64_t>(static_cast<double>(r) * percentage_);
  const int64_t raw = m - deduction_ - running_credit;
  StrategyResult result;
  result.effective_max = std::min(raw, x);
  result.scale_to = q;
  result.formula =
      absl::StrCat("min(M - deduction - trunc(R * pct), X) = min(", m, " - ",
                   deduction_, " - trunc(", r, " * ", percentage_, "), ", x,
                   ") = min(", raw, ", ", x, ") = ", result.effective_max);
  return result;
}

}  // namespace ebb::strategies
