// SPDX-License-Identifier: Apache-2.0
//
// File: strategies/scaling_strategy.h
//
// KEDA's ScaledJob arithmetic as pure functions (reference keda-scaledjob.md
// §2; kedacore/keda pkg/scaling/scaledjob/metrics.go and
// pkg/scaling/executor/scale_jobs.go, KEDA 2.21). Nothing here does I/O or
// reads a clock; every function is thread-safe and deterministic, so `ebb
// explain`, the controller and the simulator all compute the same numbers.
//
// Flow of one poll:
//   per trigger  TriggerSample{queue_length, target, active}
//   CombineTriggers(samples, calculation, min, X)      ->
//   CombinedMetrics{active, Q, M} Decide(strategy, combined, running_all,
//   pending, min, X) -> ScalingDecision
// where X = ScaledJob::MaxReplicaCount() (max - min) and min =
// MinReplicaCount().
#ifndef EBB_STRATEGIES_SCALING_STRATEGY_H_
#define EBB_STRATEGIES_SCALING_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spec/manifests.h"

namespace ebb::strategies {

// One trigger's reading for one poll (§2.1). An errored trigger is not passed
// in.
struct TriggerSample {
  std::string name;         // trigger name or "s<i>-<type>"; for explanations
  double queue_length = 0;  // the metric value (messages, or a rate)
  double target = 0;        // `value`; 0 makes max_value 0
  bool active = false;      // metric > activationValue
};

// The fold of all triggers (§2.2).
struct CombinedMetrics {
  bool active = false;
  int64_t queue_length = 0;  // Q = ceil(combined queue length)
  int64_t max_scale = 0;     // M = ceil(min(combined max value, X))
  double raw_queue_length = 0;
  double raw_max_value = 0;
  std::vector<std::string> steps;  // human-readable derivation, for `explain`
};

// §2.1 and §2.2: per trigger maxValue_i = min(q_i / target_i, X) (0 when target
// 0); only active triggers combine under `calculation` with KEDA's quirks (max:
// strict > against 0, so all-zero active triggers leave the ScaledJob inactive;
// min: 0 is "unset"); min_replica_count > 0 forces active; M =
// ceil(min(maxValue, X)), Q = ceil(queueLength).
CombinedMetrics CombineTriggers(const std::vector<TriggerSample>& samples,
                                spec::MultipleScalersCalculation calculation,
                                int64_t min_replica_count,
                                int64_t max_replica_count_x);

// What one strategy returns for (M, R, P, X) (§2.4 table).
struct StrategyResult {
  int64_t effective_max = 0;  // before clamping at 0
  int64_t scale_to = 0;       // Q, or X for eager
  std::string formula;        // e.g. "M - R = 4 - 1 = 3"
};

// One scaling strategy: default, custom, accurate or eager, each in its own
// file.
class ScalingStrategy {
 public:
  virtual ~ScalingStrategy() = default;
  virtual std::string Name() const = 0;
  // M = max scale, R = running jobs above the min floor (R_all - min),
  // P = pending jobs, X = MaxReplicaCount(), Q = queue length.
  virtual StrategyResult EffectiveMaxScale(int64_t m, int64_t r, int64_t p,
                                           int64_t x, int64_t q) const = 0;
};

// The strategy for `spec`. `custom` whose running-job percentage did not parse
// is the default strategy (KEDA's silent fallback). Never null.
std::unique_ptr<ScalingStrategy> MakeStrategy(
    const spec::ScalingStrategy& spec);

// The whole decision of one poll (§2.4, §2.5).
struct ScalingDecision {
  bool active = false;
  int64_t queue_length = 0;  // Q
  int64_t max_scale = 0;     // M
  int64_t running_all = 0;   // unfinished jobs
  int64_t running = 0;  // R = running_all - min (floor 0 not applied, as KEDA)
  int64_t pending = 0;  // P
  int64_t min_replica_count = 0;
  int64_t max_replica_count = 0;  // X
  int64_t effective_max = 0;      // after max(., 0)
  int64_t scale_to = 0;
  int64_t create = 0;              // jobs to create now
  std::string strategy;            // "default", "custom", "accurate", "eager"
  std::string reason;              // one line: why `create` is what it is
  std::vector<std::string> steps;  // every step with its numbers
};

// running_all < min: fill the gap to min, ignoring the queue. Otherwise the
// strategy's effective max, clamped at 0; create = min(scale_to, effMax) when
// active, else 0.
ScalingDecision Decide(const ScalingStrategy& strategy,
                       const CombinedMetrics& metrics, int64_t running_all,
                       int64_t pending, int64_t min_replica_count,
                       int64_t max_replica_count_x);

}  // namespace ebb::strategies

#endif  // EBB_STRATEGIES_SCALING_STRATEGY_H_
