// SPDX-License-Identifier: Apache-2.0
//
// Getters, defaults (NormalizeScaledJob) and validation rules that are easier
// to state inline than as files under tests/data/manifests/broken/.
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/manifests.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::LoadText;
using ::testing::HasSubstr;
using ::testing::Not;

struct ReplicaCase {
  std::optional<int32_t> min, max;
  int64_t want_min, want_max;
};

// KEDA's apis/keda/v1alpha1/scaledjob_types_test.go, plus the min-only and
// min > max-default combinations the reference spells out.
TEST(ScaledJobGettersTest, ReplicaCountsMatchKeda) {
  const ReplicaCase cases[] = {
      {0, 10, 0, 10},
      {std::nullopt, 10, 0, 10},
      {1, 10, 1, 9},
      {1, std::nullopt, 1, 100},
      {std::nullopt, std::nullopt, 0, 100},
      {10, 1, 1, 1},  // min > max: min = max, max stays max
      {5, 5, 5, 0},
      {150, std::nullopt, 150, 100},
  };
  for (const ReplicaCase& c : cases) {
    ScaledJob job;
    job.min_replica_count = c.min;
    job.max_replica_count = c.max;
    EXPECT_EQ(job.MinReplicaCount(), c.want_min)
        << c.min.value_or(-1) << "/" << c.max.value_or(-1);
    EXPECT_EQ(job.MaxReplicaCount(), c.want_max)
        << c.min.value_or(-1) << "/" << c.max.value_or(-1);
  }
}

TEST(ScaledJobGettersTest, PausedParsesLikeGoBoolAndUnparsableMeansPaused) {
  ScaledJob job;
  EXPECT_FALSE(job.Paused());
  const std::pair<const char*, bool> cases[] = {
      {"true", true},   {"True", true},   {"1", true},   {"t", true},
      {"false", false}, {"FALSE", false}, {"0", false},  {"f", false},
      {"yes", true},    {"", true},       {"nope", true}};
  for (const auto& [value, paused] : cases) {
    job.annotations["autoscaling.keda.sh/paused"] = value;
    EXPECT_EQ(job.Paused(), paused) << "\"" << value << "\"";
  }
}

TEST(ScaledJobGettersTest, DeprecatedRolloutStrategyWins) {
  ScaledJob job;
  EXPECT_EQ(job.EffectiveRolloutStrategy(), "");
  job.rollout.strategy = "gradual";
  EXPECT_EQ(job.EffectiveRolloutStrategy(), "gradual");
  job.rollout_strategy = "immediate";
  EXPECT_EQ(job.EffectiveRolloutStrategy(), "immediate");
  EXPECT_TRUE((Rollout{"", ""}.DeletesOldJobs()));
  EXPECT_TRUE((Rollout{"immediate", ""}.DeletesOldJobs()));
  EXPECT_FALSE((Rollout{"gradual", "foreground"}.DeletesOldJobs()));
}

TEST(NormalizeTest, Defaults) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        restartPolicy: ""
        containers: [{name: c, image: i}]
  triggers: [{type: rabbitmq}]
)");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const ScaledJob& j = r.manifests.scaled_jobs.at(0);
  EXPECT_EQ(j.job_target_ref.template_.restart_policy, "OnFailure");
  EXPECT_EQ(j.polling_interval, 30);
  EXPECT_EQ(j.successful_jobs_history_limit, 100);
  EXPECT_EQ(j.failed_jobs_history_limit, 100);
  EXPECT_EQ(j.MinReplicaCount(), 0);
  EXPECT_EQ(j.MaxReplicaCount(), 100);
  EXPECT_EQ(j.job_target_ref.backoff_limit, 6);
  EXPECT_EQ(j.scaling_strategy.strategy, ScalingStrategyType::kDefault);
  EXPECT_EQ(j.scaling_strategy.custom_scaling_queue_length_deduction, 0);
  EXPECT_FALSE(j.scaling_strategy.custom_scaling_running_job_percentage);
  EXPECT_EQ(j.scaling_strategy.multiple_scalers_calculation,
            MultipleScalersCalculation::kMax);
  EXPECT_EQ(j.generation, 1);
  EXPECT_EQ(j.rollout.strategy, "");
}

TEST(NormalizeTest, StrategyNames) {
  const std::pair<const char*, ScalingStrategyType> cases[] = {
      {"", ScalingStrategyType::kDefault},
      {"default", ScalingStrategyType::kDefault},
      {"accurate", ScalingStrategyType::kAccurate},
      {"eager", ScalingStrategyType::kEager},
      {"bogus", ScalingStrategyType::kDefault}};
  for (const auto& [name, want] : cases) {
    ScaledJob job;
    job.scaling_strategy.strategy_as_written = name;
    NormalizeScaledJob(&job);
    EXPECT_EQ(job.scaling_strategy.strategy, want) << name;
  }
  ScaledJob job;
  job.scaling_strategy.multiple_scalers_calculation_as_written = "avg";
  NormalizeScaledJob(&job);
  EXPECT_EQ(job.scaling_strategy.multiple_scalers_calculation,
            MultipleScalersCalculation::kAvg);
}

TEST(NormalizeTest, CustomWithUnparsablePercentageBecomesDefault) {
  for (const char* pct : {"", "half", "0.5x"}) {
    ScaledJob job;
    job.scaling_strategy.strategy_as_written = "custom";
    job.scaling_strategy.custom_scaling_queue_length_deduction = 2;
    job.scaling_strategy.custom_scaling_running_job_percentage_as_written = pct;
    NormalizeScaledJob(&job);
    EXPECT_EQ(job.scaling_strategy.strategy, ScalingStrategyType::kDefault)
        << pct;
  }
  ScaledJob job;
  job.scaling_strategy.strategy_as_written = "custom";
  job.scaling_strategy.custom_scaling_running_job_percentage_as_written =
      "1e-1";
  NormalizeScaledJob(&job);
  EXPECT_EQ(job.scaling_strategy.strategy, ScalingStrategyType::kCustom);
  EXPECT_DOUBLE_EQ(*job.scaling_strategy.custom_scaling_running_job_percentage,
                   0.1);
}

TEST(ValidateTest, CustomWithoutPercentageWarnsAboutFallback) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef: {template: {spec: {containers: [{name: c}]}}}
  scalingStrategy:
    strategy: custom
    customScalingQueueLengthDeduction: 1
    customScalingRunningJobPercentage: "fifty"
  triggers: [{type: rabbitmq}]
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:9:40: warning: "
            "spec.scalingStrategy.customScalingRunningJobPercentage: \"fifty\" "
            "is not a number; KEDA silently falls back to the default "
            "strategy, and so does ebb");
}

TEST(ValidateTest, ReferenceChecksAcrossObjects) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  envSourceContainerName: workr
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            volumeMounts: [{name: cache, mountPath: /c}]
            env:
              - {name: A, valueFrom: {secretKeyRef: {name: s, key: nope}}}
              - {name: B, valueFrom: {secretKeyRef: {name: s, key: nope, optional: true}}}
        volumes:
          - {name: data, hostPath: {path: /data}}
  triggers: [{type: rabbitmq}]
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {key: v}
)");
  const std::string all = AllDiagnostics(r);
  EXPECT_THAT(all, HasSubstr("t.yaml:5:27: error: spec.envSourceContainerName: "
                             "\"workr\" is not a container of the job template "
                             "(did you mean \"worker\"?)"));
  EXPECT_THAT(all, HasSubstr("t.yaml:11:35: error: spec.jobTargetRef.template."
                             "spec.containers[0].volumeMounts[0].name: volume "
                             "\"cache\" is not declared"));
  EXPECT_THAT(all,
              HasSubstr("t.yaml:13:17: error: spec.jobTargetRef.template."
                        "spec.containers[0].env[0].valueFrom.secretKeyRef: "
                        "Secret \"s\" has no key \"nope\""));
  EXPECT_THAT(all,
              HasSubstr("t.yaml:16:13: warning: spec.jobTargetRef.template."
                        "spec.volumes[0]: volume \"data\" is a hostPath "
                        "volume; the local executor provides only "
                        "emptyDir"));
  EXPECT_EQ(r.diagnostics.size(), 4u) << all;  // optional ref B is fine
}

TEST(ValidateTest, DuplicateObjectsAreErrors) {
  LoadResult r = LoadText(R"(apiVersion: v1
kind: Secret
metadata: {name: s, namespace: a}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: b}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: a}
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:9:1: error: Secret \"a/s\" is defined twice (first at "
            "t.yaml:1:1)");
}

TEST(ValidateTest, NoSecretValueAppearsInAnyDiagnostic) {
  // Secret values placed where a careless parser would echo them: a bad
  // base64 value, a value used as a wrong-shaped field, a misspelled key next
  // to them, a key lookup that misses, and values reused as other fields.
  const std::string yaml = R"(apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  b64: "hunter2-is-not-base64!"
stringData:
  password: Tr0ub4dor&3
  url: amqp://admin:CorrectHorse@rabbit:5672/
  nested: [Tr0ub4dor&3]
stringDta: {x: Tr0ub4dor&3}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: ta}
spec:
  secretTargetRef:
    - {parameter: host, name: s, key: passwrd}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  pollingInterval: Tr0ub4dor&3
  rolloutStrategy: Tr0ub4dor&3
  jobTargetRef: {template: {spec: {containers: [{name: c}]}}}
  triggers:
    - type: rabbitmq
      authenticationRef: {name: Tr0ub4dor&3}
)";
  LoadResult r = LoadText(yaml);
  EXPECT_TRUE(r.HasErrors());
  EXPECT_GE(r.diagnostics.size(), 5u) << AllDiagnostics(r);
  for (const Diagnostic& d : r.diagnostics) {
    const std::string s = d.ToString();
    EXPECT_THAT(s, Not(HasSubstr("Tr0ub4dor"))) << s;
    EXPECT_THAT(s, Not(HasSubstr("CorrectHorse"))) << s;
    EXPECT_THAT(s, Not(HasSubstr("hunter2"))) << s;
  }
  EXPECT_THAT(AllDiagnostics(r), HasSubstr("Secret \"s\" has no key \"passwrd\""
                                           " (did you mean \"password\"?)"));
}

}  // namespace
}  // namespace ebb::spec
