// SPDX-License-Identifier: Apache-2.0
//
// CombineTriggers mirrors kedacore/keda pkg/scaling/scaledjob/metrics.go
// (CalculateQueueLengthAndMaxValue, IsScaledJobActive); MakeStrategy mirrors
// NewScalingStrategy and Decide mirrors getScalingDecision + RequestJobScale in
// pkg/scaling/executor/scale_jobs.go (KEDA 2.21).
#include "strategies/scaling_strategy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "strategies/strategy_impls.h"

namespace ebb::strategies {
namespace {

// Go's int64(math.Ceil(x)).
int64_t CeilToInt64(double x) { return static_cast<int64_t>(std::ceil(x)); }

// "1 job", "3 jobs"; "1 unfinished job", "3 unfinished jobs".
std::string Jobs(int64_t n, const char* what = "job") {
  return absl::StrCat(n, " ", what, n == 1 ? "" : "s");
}

const char* CalculationName(spec::MultipleScalersCalculation c) {
  switch (c) {
    case spec::MultipleScalersCalculation::kMin:
      return "min";
    case spec::MultipleScalersCalculation::kAvg:
      return "avg";
    case spec::MultipleScalersCalculation::kSum:
      return "sum";
    case spec::MultipleScalersCalculation::kMax:
      break;
  }
  return "max";
}

}  // namespace

CombinedMetrics CombineTriggers(const std::vector<TriggerSample>& samples,
                                spec::MultipleScalersCalculation calculation,
                                int64_t min_replica_count,
                                int64_t max_replica_count_x) {
  CombinedMetrics out;
  const double x = static_cast<double>(max_replica_count_x);
  std::vector<double> max_values;
  max_values.reserve(samples.size());
  for (const TriggerSample& s : samples) {
    // §2.1 step 4: maxValue_i = min(q_i / target_i, X), 0 when target is 0.
    double mv = 0;
    if (s.target != 0) mv = std::min(s.queue_length / s.target, x);
    max_values.push_back(mv);
    out.steps.push_back(absl::StrCat(
        s.name, ": queue length ", s.queue_length, ", target ", s.target,
        ", max value = min(", s.queue_length, " / ", s.target, ", X ",
        max_replica_count_x, ") = ", mv, s.active ? ", active" : ", inactive"));
  }

  double queue_length = 0;
  double max_value = 0;
  bool active = false;
  switch (calculation) {
    case spec::MultipleScalersCalculation::kMin:
      // 0 doubles as "unset": an active 0 is replaced by any later active one.
      for (size_t i = 0; i < samples.size(); ++i) {
        const TriggerSample& s = samples[i];
        if ((queue_length == 0 || s.queue_length < queue_length) && s.active) {
          queue_length = s.queue_length;
          max_value = max_values[i];
          active = true;
        }
      }
      break;
    case spec::MultipleScalersCalculation::kAvg: {
      double q_sum = 0, mv_sum = 0;
      int n = 0;
      for (size_t i = 0; i < samples.size(); ++i) {
        if (!samples[i].active) continue;
        q_sum += samples[i].queue_length;
        mv_sum += max_values[i];
        active = true;
        ++n;
      }
      if (n != 0) {
        queue_length = q_sum / n;
        max_value = mv_sum / n;
      }
      break;
    }
    case spec::MultipleScalersCalculation::kSum:
      for (size_t i = 0; i < samples.size(); ++i) {
        if (!samples[i].active) continue;
        queue_length += samples[i].queue_length;
        max_value += max_values[i];
        active = true;
      }
      break;
    case spec::MultipleScalersCalculation::kMax:
      // Strict > against a best that starts at 0: active zeros never win.
      for (size_t i = 0; i < samples.size(); ++i) {
        const TriggerSample& s = samples[i];
        if (s.queue_length > queue_length && s.active) {
          queue_length = s.queue_length;
          max_value = max_values[i];
          active = true;
        }
      }
      break;
  }
  out.steps.push_back(absl::StrCat("combined (", CalculationName(calculation),
                                   ") over active triggers: queue length ",
                                   queue_length, ", max value ", max_value,
                                   active ? ", active" : ", not active"));
  if (min_replica_count > 0) {
    if (!active) {
      out.steps.push_back(absl::StrCat("minReplicaCount ", min_replica_count,
                                       " > 0 forces active"));
    }
    active = true;
  }
  max_value = std::min(max_value, x);
  out.active = active;
  out.raw_queue_length = queue_length;
  out.raw_max_value = max_value;
  out.queue_length = CeilToInt64(queue_length);
  out.max_scale = CeilToInt64(max_value);
  out.steps.push_back(absl::StrCat(
      "Q = ceil(", queue_length, ") = ", out.queue_length, ", M = ceil(min(",
      max_value, ", X ", max_replica_count_x, ")) = ", out.max_scale));
  return out;
}

std::unique_ptr<ScalingStrategy> MakeStrategy(
    const spec::ScalingStrategy& spec) {
  switch (spec.strategy) {
    case spec::ScalingStrategyType::kCustom:
      // KEDA: an unparsable (or empty) percentage silently means default.
      if (!spec.custom_scaling_running_job_percentage.has_value()) break;
      return std::make_unique<CustomStrategy>(
          spec.custom_scaling_queue_length_deduction,
          *spec.custom_scaling_running_job_percentage);
    case spec::ScalingStrategyType::kAccurate:
      return std::make_unique<AccurateStrategy>();
    case spec::ScalingStrategyType::kEager:
      return std::make_unique<EagerStrategy>();
    case spec::ScalingStrategyType::kDefault:
      break;
  }
  return std::make_unique<DefaultStrategy>();
}

ScalingDecision Decide(const ScalingStrategy& strategy,
                       const CombinedMetrics& metrics, int64_t running_all,
                       int64_t pending, int64_t min_replica_count,
                       int64_t max_replica_count_x) {
  ScalingDecision d;
  d.active = metrics.active;
  d.queue_length = metrics.queue_length;
  d.max_scale = metrics.max_scale;
  d.running_all = running_all;
  d.running = running_all - min_replica_count;
  d.pending = pending;
  d.min_replica_count = min_replica_count;
  d.max_replica_count = max_replica_count_x;
  d.strategy = strategy.Name();
  d.steps = metrics.steps;

  int64_t effective_max = 0;
  bool filling_min = false;
  if (running_all < min_replica_count) {
    filling_min = true;
    effective_max = min_replica_count - running_all;
    d.scale_to = effective_max;
    d.steps.push_back(absl::StrCat(
        "running ", running_all, " < minReplicaCount ", min_replica_count,
        ": effective max = scaleTo = min - R_all = ", min_replica_count, " - ",
        running_all, " = ", effective_max, " (queue ignored)"));
  } else {
    d.steps.push_back(absl::StrCat(
        "R = R_all - min = ", running_all, " - ", min_replica_count, " = ",
        d.running, ", P = ", pending, ", X = ", max_replica_count_x));
    StrategyResult r =
        strategy.EffectiveMaxScale(metrics.max_scale, d.running, pending,
                                   max_replica_count_x, metrics.queue_length);
    effective_max = r.effective_max;
    d.scale_to = r.scale_to;
    d.steps.push_back(
        absl::StrCat("effective max (", d.strategy, ") = ", r.formula));
  }
  if (effective_max < 0) {
    d.steps.push_back(
        absl::StrCat("effective max = max(", effective_max, ", 0) = 0"));
    effective_max = 0;
  }
  d.effective_max = effective_max;

  if (!d.active) {
    d.create = 0;
    d.reason = absl::StrCat(
        "not active (no active trigger has messages above "
        "its activation value): create 0");
    d.steps.push_back("not active: create 0");
    return d;
  }
  if (effective_max <= 0) {
    d.create = 0;
    d.reason = absl::StrCat("no need to create jobs: effective max is 0 (",
                            Jobs(running_all, "unfinished job"), ", ", pending,
                            " pending, M = ", d.max_scale, ")");
    d.steps.push_back("effective max <= 0: create 0");
    return d;
  }
  d.create = std::min(d.scale_to, effective_max);
  d.steps.push_back(absl::StrCat("create = min(scaleTo ", d.scale_to,
                                 ", effMax ", effective_max, ") = ", d.create));
  if (filling_min) {
    d.reason = absl::StrCat("creating ", Jobs(d.create),
                            " to reach minReplicaCount ", min_replica_count,
                            " (", Jobs(running_all, "unfinished job"), ")");
  } else if (d.create < d.scale_to) {
    d.reason = absl::StrCat("creating ", Jobs(d.create),
                            ": capped by effective "
                            "max ",
                            effective_max, " (", d.strategy, ": ", running_all,
                            " unfinished, ", pending,
                            " pending, X = ", max_replica_count_x, ")");
  } else {
    d.reason = absl::StrCat(
        "creating ", Jobs(d.create), ": scaleTo ", d.scale_to, " (", d.strategy,
        d.strategy == "eager" ? ", scaleTo = X" : ", scaleTo = Q",
        ") within effective max ", effective_max);
  }
  return d;
}

}  // namespace ebb::strategies
