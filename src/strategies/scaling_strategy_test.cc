// SPDX-License-Identifier: Apache-2.0
#include "strategies/scaling_strategy.h"

#include <gtest/gtest.h>

#include "strategies/strategy_impls.h"

namespace ebb::strategies {
namespace {

using spec::MultipleScalersCalculation;

spec::ScalingStrategy Spec(spec::ScalingStrategyType type) {
  spec::ScalingStrategy s;
  s.strategy = type;
  return s;
}

int64_t EffMax(const ScalingStrategy& s, int64_t m, int64_t r, int64_t p,
               int64_t x) {
  return s.EffectiveMaxScale(m, r, p, x, /*q=*/0).effective_max;
}

// Vectors from kedacore/keda pkg/scaling/executor/scale_jobs_test.go (§2.4).
TEST(GetEffectiveMaxScaleTest, DefaultVectors) {
  DefaultStrategy s;
  EXPECT_EQ(EffMax(s, 3, 2, 0, 5), 1);
  EXPECT_EQ(EffMax(s, 2, 0, 0, 5), 2);
}

TEST(GetEffectiveMaxScaleTest, CustomVectors) {
  CustomStrategy a(1, 0.5);
  EXPECT_EQ(EffMax(a, 3, 2, 0, 5), 1);
  EXPECT_EQ(EffMax(a, 10, 0, 0, 10), 9);
  CustomStrategy b(-2, 0);
  EXPECT_EQ(EffMax(b, 3, 2, 0, 4), 4);  // capped by X
}

TEST(GetEffectiveMaxScaleTest, CustomTruncatesRunningProduct) {
  CustomStrategy s(0, 0.5);
  EXPECT_EQ(EffMax(s, 10, 3, 0, 100), 9);  // trunc(1.5) = 1
}

TEST(GetEffectiveMaxScaleTest, AccurateVectors) {
  AccurateStrategy s;
  EXPECT_EQ(EffMax(s, 3, 2, 0, 5), 3);
  EXPECT_EQ(EffMax(s, 5, 2, 0, 5), 3);
  EXPECT_EQ(EffMax(s, 3, 4, 2, 10), 1);
  EXPECT_EQ(EffMax(s, 5, 4, 2, 5), 1);
  EXPECT_EQ(EffMax(s, 3, 3, 3, 5), 0);
  EXPECT_EQ(EffMax(s, 15, 15, 15, 20), 0);
  EXPECT_EQ(EffMax(s, 20, 15, 10, 20), 5);
}

TEST(GetEffectiveMaxScaleTest, EagerVectors) {
  EagerStrategy s;
  EXPECT_EQ(EffMax(s, 4, 3, 0, 10), 4);
  EXPECT_EQ(EffMax(s, 4, 7, 0, 10), 3);
  EXPECT_EQ(EffMax(s, 4, 1, 6, 10), 3);
  EXPECT_EQ(EffMax(s, 15, 0, 0, 10), 10);
  EXPECT_EQ(s.EffectiveMaxScale(4, 0, 0, 10, 2).scale_to, 10);  // scaleTo = X
}

TEST(GetEffectiveMaxScaleTest, EagerSubtractsPendingTwiceAccurateDoesNot) {
  // M = 4, R = 3 all pending, X = 10.
  EXPECT_EQ(EffMax(AccurateStrategy(), 4, 3, 3, 10), 1);
  EXPECT_EQ(EffMax(EagerStrategy(), 4, 3, 3, 10), 4);
}

TEST(MakeStrategyTest, PicksByType) {
  EXPECT_EQ(MakeStrategy(Spec(spec::ScalingStrategyType::kDefault))->Name(),
            "default");
  EXPECT_EQ(MakeStrategy(Spec(spec::ScalingStrategyType::kAccurate))->Name(),
            "accurate");
  EXPECT_EQ(MakeStrategy(Spec(spec::ScalingStrategyType::kEager))->Name(),
            "eager");
  spec::ScalingStrategy custom = Spec(spec::ScalingStrategyType::kCustom);
  custom.custom_scaling_queue_length_deduction = 1;
  custom.custom_scaling_running_job_percentage = 0.5;
  auto s = MakeStrategy(custom);
  EXPECT_EQ(s->Name(), "custom");
  EXPECT_EQ(s->EffectiveMaxScale(10, 0, 0, 10, 10).effective_max, 9);
}

TEST(MakeStrategyTest, CustomWithUnparsedPercentageIsDefault) {
  spec::ScalingStrategy custom = Spec(spec::ScalingStrategyType::kCustom);
  custom.custom_scaling_queue_length_deduction = 5;  // ignored, as in KEDA
  custom.custom_scaling_running_job_percentage_as_written = "abc";
  auto s = MakeStrategy(custom);
  EXPECT_EQ(s->Name(), "default");
  EXPECT_EQ(s->EffectiveMaxScale(3, 2, 0, 5, 3).effective_max, 1);
}

// One poll with the default strategy and a single trigger.
ScalingDecision DecideOne(
    double queue, double value, int64_t max, int64_t running, int64_t min = 0,
    spec::ScalingStrategyType type = spec::ScalingStrategyType::kDefault,
    int64_t pending = 0) {
  const int64_t x = max - min;  // MaxReplicaCount() with both set
  CombinedMetrics m =
      CombineTriggers({{"s0-rabbitmq-tasks", queue, value, queue > 0}},
                      MultipleScalersCalculation::kMax, min, x);
  return Decide(*MakeStrategy(Spec(type)), m, running, pending, min, x);
}

// The table on KEDA's scaledjob-spec docs page (§2.4).
TEST(DecideTest, DocsTable) {
  EXPECT_EQ(DecideOne(10, 1, 3, 0).create, 3);
  EXPECT_EQ(DecideOne(10, 2, 3, 0).create, 3);
  EXPECT_EQ(DecideOne(10, 1, 3, 1).create, 2);
  EXPECT_EQ(DecideOne(10, 1, 100, 0).create, 10);
  EXPECT_EQ(DecideOne(4, 5, 3, 0).create, 1);
}

TEST(DecideTest, ValueBelowOneIsCappedByQueueLength) {
  ScalingDecision d = DecideOne(3, 0.5, 10, 0);
  EXPECT_EQ(d.max_scale, 6);
  EXPECT_EQ(d.queue_length, 3);
  EXPECT_EQ(d.create, 3);
  // Eager passes scaleTo = X, so M wins.
  EXPECT_EQ(
      DecideOne(3, 0.5, 10, 0, 0, spec::ScalingStrategyType::kEager).create, 6);
}

TEST(DecideTest, ValueAboveOneRoundsMaxScaleUp) {
  ScalingDecision d = DecideOne(4, 5, 10, 0);
  EXPECT_EQ(d.max_scale, 1);  // ceil(0.8)
  EXPECT_EQ(d.create, 1);
}

TEST(DecideTest, StepsCarryTheNumbers) {
  ScalingDecision d = DecideOne(5, 1, 4, 1);
  EXPECT_EQ(d.create, 3);
  bool saw_eff = false, saw_create = false;
  for (const std::string& s : d.steps) {
    if (s.find("M - R = 4 - 1 = 3") != std::string::npos) saw_eff = true;
    if (s == "create = min(scaleTo 5, effMax 3) = 3") saw_create = true;
  }
  EXPECT_TRUE(saw_eff);
  EXPECT_TRUE(saw_create);
  EXPECT_NE(d.reason.find("creating 3"), std::string::npos) << d.reason;
}

TEST(DecideTest, ReasonsSayOneJobInTheSingular) {
  ScalingDecision one = DecideOne(1, 1, 10, 0);
  EXPECT_EQ(one.create, 1);
  EXPECT_NE(one.reason.find("creating 1 job:"), std::string::npos)
      << one.reason;
  ScalingDecision full = DecideOne(2, 1, 1, 1);
  EXPECT_EQ(full.create, 0);
  EXPECT_NE(full.reason.find("(1 unfinished job,"), std::string::npos)
      << full.reason;
}

TEST(DecideTest, NegativeEffectiveMaxClampsToZero) {
  ScalingDecision d = DecideOne(2, 1, 10, 5);
  EXPECT_EQ(d.effective_max, 0);
  EXPECT_EQ(d.create, 0);
  EXPECT_NE(d.reason.find("no need"), std::string::npos);
}

TEST(DecideTest, InactiveCreatesNothingEvenWithMaxScale) {
  CombinedMetrics m;
  m.active = false;
  m.max_scale = 5;
  m.queue_length = 5;
  ScalingDecision d = Decide(DefaultStrategy(), m, 0, 0, 0, 10);
  EXPECT_EQ(d.effective_max, 5);
  EXPECT_EQ(d.create, 0);
}

// §2.5 minReplicaCount.
TEST(DecideTest, FillsGapToMinIgnoringQueue) {
  ScalingDecision d = DecideOne(0, 1, 10, 0, /*min=*/2);
  EXPECT_TRUE(d.active);  // forced by min > 0
  EXPECT_EQ(d.effective_max, 2);
  EXPECT_EQ(d.scale_to, 2);
  EXPECT_EQ(d.create, 2);
  EXPECT_EQ(DecideOne(100, 1, 10, 1, /*min=*/2).create, 1);
}

TEST(DecideTest, BaselineJobsAreNeverCreditedAgainstTheQueue) {
  // min 2, 2 idle baseline jobs, 3 messages: default creates 3 more.
  ScalingDecision d = DecideOne(3, 1, 10, 2, /*min=*/2);
  EXPECT_EQ(d.running, 0);
  EXPECT_EQ(d.create, 3);
}

TEST(DecideTest, MinShrinksXAndR) {
  // max 5, min 2 -> X = 3; 4 unfinished -> R = 2; queue 10 -> M = 3.
  ScalingDecision d = DecideOne(10, 1, 5, 4, /*min=*/2);
  EXPECT_EQ(d.max_replica_count, 3);
  EXPECT_EQ(d.max_scale, 3);
  EXPECT_EQ(d.running, 2);
  EXPECT_EQ(d.create, 1);  // total unfinished reaches max = 5
}

TEST(CombineTriggersTest, MaxUsesStrictGreaterAgainstZero) {
  CombinedMetrics m = CombineTriggers({{"a", 0, 1, true}, {"b", 0, 1, true}},
                                      MultipleScalersCalculation::kMax, 0, 10);
  EXPECT_FALSE(m.active);
  m = CombineTriggers({{"a", 3, 1, true}, {"b", 7, 1, false}},
                      MultipleScalersCalculation::kMax, 0, 10);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.queue_length, 3);  // inactive triggers never count
  m = CombineTriggers({{"a", 3, 1, true}, {"b", 7, 2, true}},
                      MultipleScalersCalculation::kMax, 0, 10);
  EXPECT_EQ(m.queue_length, 7);
  EXPECT_EQ(m.max_scale, 4);  // ceil(3.5), from the chosen trigger
}

TEST(CombineTriggersTest, MinTreatsZeroAsUnset) {
  CombinedMetrics m = CombineTriggers({{"a", 0, 1, true}, {"b", 5, 1, true}},
                                      MultipleScalersCalculation::kMin, 0, 10);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.queue_length, 5);
  m = CombineTriggers({{"a", 4, 1, true}, {"b", 2, 1, true}},
                      MultipleScalersCalculation::kMin, 0, 10);
  EXPECT_EQ(m.queue_length, 2);
  // A single active zero stays chosen and active.
  m = CombineTriggers({{"a", 0, 1, true}}, MultipleScalersCalculation::kMin, 0,
                      10);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.queue_length, 0);
}

TEST(CombineTriggersTest, AvgAndSumOverActiveOnly) {
  std::vector<TriggerSample> s = {
      {"a", 3, 1, true}, {"b", 4, 2, true}, {"c", 100, 1, false}};
  CombinedMetrics avg =
      CombineTriggers(s, MultipleScalersCalculation::kAvg, 0, 10);
  EXPECT_DOUBLE_EQ(avg.raw_queue_length, 3.5);
  EXPECT_DOUBLE_EQ(avg.raw_max_value, 2.5);
  EXPECT_EQ(avg.queue_length, 4);
  EXPECT_EQ(avg.max_scale, 3);
  CombinedMetrics sum =
      CombineTriggers(s, MultipleScalersCalculation::kSum, 0, 10);
  EXPECT_EQ(sum.queue_length, 7);
  EXPECT_EQ(sum.max_scale, 5);
  EXPECT_TRUE(sum.active);
}

TEST(CombineTriggersTest, SumIsCappedByX) {
  CombinedMetrics m = CombineTriggers({{"a", 8, 1, true}, {"b", 8, 1, true}},
                                      MultipleScalersCalculation::kSum, 0, 10);
  EXPECT_EQ(m.queue_length, 16);
  EXPECT_EQ(m.max_scale, 10);
}

TEST(CombineTriggersTest, ZeroTargetGivesZeroMaxValue) {
  CombinedMetrics m = CombineTriggers({{"a", 5, 0, true}},
                                      MultipleScalersCalculation::kMax, 0, 10);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.max_scale, 0);
}

TEST(CombineTriggersTest, MinReplicaCountForcesActive) {
  CombinedMetrics m =
      CombineTriggers({}, MultipleScalersCalculation::kMax, 1, 10);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.max_scale, 0);
}

TEST(CombineTriggersTest, RatesRoundUp) {
  CombinedMetrics m = CombineTriggers({{"a", 0.2, 1, true}},
                                      MultipleScalersCalculation::kMax, 0, 10);
  EXPECT_EQ(m.queue_length, 1);
  EXPECT_EQ(m.max_scale, 1);
}

}  // namespace
}  // namespace ebb::strategies
