// SPDX-License-Identifier: Apache-2.0
//
// File: strategies/strategy_impls.h
//
// The four ScalingStrategy implementations (one .cc each), constructed through
// MakeStrategy() in scaling_strategy.cc. Internal to ebb_strategies, but
// exposed so tests and `ebb simulate` can build a strategy directly.
// Each mirrors a type in kedacore/keda pkg/scaling/executor/scale_jobs.go
// (GetEffectiveMaxScale), KEDA 2.21.
#ifndef EBB_STRATEGIES_STRATEGY_IMPLS_H_
#define EBB_STRATEGIES_STRATEGY_IMPLS_H_

#include <cstdint>
#include <string>

#include "strategies/scaling_strategy.h"

namespace ebb::strategies {

// effMax = M - R, scaleTo = Q.
class DefaultStrategy : public ScalingStrategy {
 public:
  std::string Name() const override { return "default"; }
  StrategyResult EffectiveMaxScale(int64_t m, int64_t r, int64_t p, int64_t x,
                                   int64_t q) const override;
};

// effMax = min(M - deduction - trunc(R * pct), X), scaleTo = Q.
class CustomStrategy : public ScalingStrategy {
 public:
  CustomStrategy(int64_t deduction, double running_job_percentage)
      : deduction_(deduction), percentage_(running_job_percentage) {}
  std::string Name() const override { return "custom"; }
  StrategyResult EffectiveMaxScale(int64_t m, int64_t r, int64_t p, int64_t x,
                                   int64_t q) const override;

 private:
  int64_t deduction_;
  double percentage_;
};

// KEDA >= 2.19 (#7329): if M + R - P > X then X - R else M - P; scaleTo = Q.
class AccurateStrategy : public ScalingStrategy {
 public:
  std::string Name() const override { return "accurate"; }
  StrategyResult EffectiveMaxScale(int64_t m, int64_t r, int64_t p, int64_t x,
                                   int64_t q) const override;
};

// KEDA >= 2.15 (#5114): effMax = min(X - R - P, M), scaleTo = X.
class EagerStrategy : public ScalingStrategy {
 public:
  std::string Name() const override { return "eager"; }
  StrategyResult EffectiveMaxScale(int64_t m, int64_t r, int64_t p, int64_t x,
                                   int64_t q) const override;
};

}  // namespace ebb::strategies

#endif  // EBB_STRATEGIES_STRATEGY_IMPLS_H_
