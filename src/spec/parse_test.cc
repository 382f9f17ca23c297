// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/manifests.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::LoadText;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseTest, SecretDataIsBase64DecodedAndStringDataWins) {
  LoadResult r = LoadText(R"(apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  user: YWRtaW4=          # admin
  pass: czNjcjN0IQ==      # s3cr3t!
  empty: ""
stringData:
  user: root
)");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const Secret* s = r.manifests.FindSecret("s", "default");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->data.at("user"), "root");
  EXPECT_EQ(s->data.at("pass"), "s3cr3t!");
  EXPECT_EQ(s->data.at("empty"), "");
}

TEST(ParseTest, InvalidBase64IsAnErrorWithoutTheValue) {
  LoadResult r = LoadText(R"(apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  token: "not*base64*hunter2"
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:5:10: error: data.token: value is not valid base64 (use "
            "stringData for plain text)");
}

TEST(ParseTest, MetadataNumbersAndBoolsKeepTheirText) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: j
  generation: 7
  annotations:
    autoscaling.keda.sh/paused: "true"
spec:
  jobTargetRef:
    template:
      spec:
        containers: [{name: c, image: i}]
  triggers:
    - type: rabbitmq
      metadata: {value: 1.50, activationValue: 0, useRegex: true, queueName: q}
)");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const ScaledJob& j = r.manifests.scaled_jobs.at(0);
  EXPECT_EQ(j.triggers[0].metadata.at("value"), "1.50");
  EXPECT_EQ(j.triggers[0].metadata.at("activationValue"), "0");
  EXPECT_EQ(j.triggers[0].metadata.at("useRegex"), "true");
  EXPECT_EQ(j.generation, 7);
  EXPECT_EQ(j.namespace_, "default");
  EXPECT_TRUE(j.Paused());
  EXPECT_EQ(j.uid, "");
}

// A ScaledJob read from an API server, as `kubectl get -o json` prints it:
// server-populated metadata is accepted, and the uid is kept for the Jobs'
// ownerReference.
TEST(ParseTest, ServerObjectKeepsUidAndGeneration) {
  LoadResult r = LoadText(R"({
  "apiVersion": "keda.sh/v1alpha1",
  "kind": "ScaledJob",
  "metadata": {
    "name": "j", "namespace": "ml", "generation": 3,
    "uid": "6f1c2d3e-0000-4000-8000-00000000000a",
    "resourceVersion": "812", "creationTimestamp": "2026-01-01T00:00:00Z",
    "finalizers": ["finalizer.keda.sh"]
  },
  "spec": {
    "jobTargetRef": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
    "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "q"}}]
  },
  "status": {"conditions": [{"type": "Ready", "status": "True"}]}
})");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const ScaledJob& j = r.manifests.scaled_jobs.at(0);
  EXPECT_EQ(j.uid, "6f1c2d3e-0000-4000-8000-00000000000a");
  EXPECT_EQ(j.generation, 3);
  EXPECT_EQ(j.namespace_, "ml");
}

TEST(ParseTest, AllScaledJobFields) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j, namespace: ns, labels: {a: b}}
spec:
  jobTargetRef:
    parallelism: 2
    completions: 3
    activeDeadlineSeconds: 600
    ttlSecondsAfterFinished: 60
    backoffLimit: 0
    template:
      metadata: {annotations: {x: y}}
      spec:
        restartPolicy: Never
        terminationGracePeriodSeconds: 5
        containers:
          - name: c
            image: i
            workingDir: /w
            readinessProbe:
              exec: {command: [test, -f, /tmp/ready]}
              periodSeconds: 2
              failureThreshold: 30
            volumeMounts: [{name: v, mountPath: /v, readOnly: true}]
            env:
              - {name: OPT, valueFrom: {secretKeyRef: {name: gone, key: k, optional: true}}}
        volumes: [{name: v, emptyDir: {medium: Memory}}]
  pollingInterval: 10
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 4
  minReplicaCount: 1
  maxReplicaCount: 8
  envSourceContainerName: c
  rollout: {strategy: gradual, propagationPolicy: background}
  scalingStrategy:
    strategy: custom
    customScalingQueueLengthDeduction: 1
    customScalingRunningJobPercentage: "0.5"
    pendingPodConditions: [Ready, PodScheduled]
    multipleScalersCalculation: sum
  triggers:
    - {type: rabbitmq, name: a, metadata: {queueName: q}}
    - {type: rabbitmq, name: b, metadata: {queueName: r}}
)");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
  const ScaledJob& j = r.manifests.scaled_jobs.at(0);
  EXPECT_EQ(j.namespace_, "ns");
  EXPECT_THAT(j.labels, ElementsAre(Pair("a", "b")));
  const JobSpec& s = j.job_target_ref;
  EXPECT_EQ(s.parallelism, 2);
  EXPECT_EQ(s.completions, 3);
  EXPECT_EQ(s.active_deadline_seconds, 600);
  EXPECT_EQ(s.ttl_seconds_after_finished, 60);
  EXPECT_EQ(s.backoff_limit, 0);
  EXPECT_THAT(s.template_.annotations, ElementsAre(Pair("x", "y")));
  EXPECT_EQ(s.template_.restart_policy, "Never");
  EXPECT_EQ(s.template_.termination_grace_period_seconds, 5);
  const Container& c = s.template_.containers.at(0);
  EXPECT_EQ(c.working_dir, "/w");
  ASSERT_TRUE(c.readiness_probe.has_value());
  EXPECT_THAT(c.readiness_probe->command,
              ElementsAre("test", "-f", "/tmp/ready"));
  EXPECT_EQ(c.readiness_probe->period_seconds, 2);
  EXPECT_EQ(c.readiness_probe->failure_threshold, 30);
  EXPECT_EQ(c.readiness_probe->timeout_seconds, 1);
  EXPECT_TRUE(c.volume_mounts.at(0).read_only);
  EXPECT_TRUE(c.env.at(0).secret_key_ref->optional);
  EXPECT_EQ(j.polling_interval, 10);
  EXPECT_EQ(j.successful_jobs_history_limit, 3);
  EXPECT_EQ(j.failed_jobs_history_limit, 4);
  EXPECT_EQ(j.MinReplicaCount(), 1);
  EXPECT_EQ(j.MaxReplicaCount(), 7);
  EXPECT_EQ(j.env_source_container_name, "c");
  EXPECT_FALSE(j.rollout.DeletesOldJobs());
  EXPECT_FALSE(j.rollout.Foreground());
  const ScalingStrategy& ss = j.scaling_strategy;
  EXPECT_EQ(ss.strategy, ScalingStrategyType::kCustom);
  EXPECT_EQ(ss.strategy_as_written, "custom");
  EXPECT_EQ(ss.custom_scaling_queue_length_deduction, 1);
  EXPECT_EQ(ss.custom_scaling_running_job_percentage, 0.5);
  EXPECT_THAT(ss.pending_pod_conditions, ElementsAre("Ready", "PodScheduled"));
  EXPECT_EQ(ss.multiple_scalers_calculation, MultipleScalersCalculation::kSum);
  EXPECT_EQ(j.triggers.size(), 2u);
}

TEST(ParseTest, OtherKindsAreSkippedWithAWarning) {
  LoadResult r = LoadText("apiVersion: apps/v1\nkind: Deployment\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(r.diagnostics[0].location.ToString(), "t.yaml:2:7");
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("\"Deployment\""));
}

TEST(ParseTest, DocumentWithoutKindIsAnError) {
  LoadResult r = LoadText("---\n---\nmetadata: {name: x}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:3:1: error: document has no apiVersion; every manifest "
            "needs apiVersion and kind");
}

TEST(ParseTest, WrongShapesAreErrorsNotExceptions) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef: [1, 2]
  pollingInterval: often
  triggers: {type: rabbitmq}
)");
  EXPECT_TRUE(r.HasErrors());
  const std::string all = AllDiagnostics(r);
  EXPECT_THAT(all, HasSubstr("t.yaml:5:17: error: spec.jobTargetRef: expected "
                             "a map, got a list"));
  EXPECT_THAT(all, HasSubstr("t.yaml:6:20: error: spec.pollingInterval: "
                             "\"often\" is not an integer in range"));
  EXPECT_THAT(all, HasSubstr("t.yaml:7:13: error: spec.triggers: expected a "
                             "list, got a map"));
}

TEST(ParseTest, ToleratedKubernetesKeysAreNotWarned) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    suspend: false
    podFailurePolicy: {rules: []}
    template:
      spec:
        nodeSelector: {gpu: "true"}
        tolerations: [{key: k, operator: Exists}]
        serviceAccountName: sa
        securityContext: {runAsUser: 1000}
        containers:
          - name: c
            image: i
            imagePullPolicy: Always
            resources: {limits: {nvidia.com/gpu: "1"}}
            ports: [{containerPort: 80}]
            livenessProbe: {httpGet: {path: /, port: 80}}
            securityContext: {privileged: false}
            envFrom: [{secretRef: {name: x}}]
  triggers: [{type: rabbitmq, metadata: {queueName: q}}]
)");
  EXPECT_TRUE(r.diagnostics.empty()) << AllDiagnostics(r);
}

TEST(ParseTest, ContainerCpuLimitIsKeptAsWritten) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - {name: a, image: i, resources: {limits: {cpu: 500m, memory: 1Gi}}}
          - {name: b, image: i, resources: {limits: {cpu: 2}}}
          - {name: c, image: i}
  triggers: [{type: rabbitmq, metadata: {queueName: q}}]
)");
  ASSERT_EQ(r.manifests.scaled_jobs.size(), 1u) << AllDiagnostics(r);
  const auto& cs =
      r.manifests.scaled_jobs[0].job_target_ref.template_.containers;
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].cpu_limit, "500m");
  EXPECT_EQ(cs[1].cpu_limit, "2");
  EXPECT_EQ(cs[2].cpu_limit, "");
}

TEST(ParseTest, TypoInContainerFieldIsWarnedWithSuggestion) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: c
            imagePullPolicyy: Always
            volumeMount: []
  triggers: [{type: rabbitmq, metadata: {queueName: q}}]
)");
  ASSERT_EQ(r.diagnostics.size(), 2u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:10:13: warning: "
            "spec.jobTargetRef.template.spec.containers[0].imagePullPolicyy: "
            "unknown field \"imagePullPolicyy\" (did you mean "
            "\"imagePullPolicy\"?); it is ignored");
  EXPECT_THAT(r.diagnostics[1].message,
              HasSubstr("(did you mean \"volumeMounts\"?)"));
}

TEST(ParseTest, UnsupportedAuthSourceIsAnError) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ClusterTriggerAuthentication
metadata: {name: vault}
spec:
  hashiCorpVault: {address: "http://vault:8200"}
  env:
    - {parameter: host, name: AMQP_URL}
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].ToString(),
            "t.yaml:5:3: error: spec.hashiCorpVault: not supported yet (ebb "
            "supports secretTargetRef and env)");
  const TriggerAuthentication* cta =
      r.manifests.FindClusterTriggerAuthentication("vault");
  ASSERT_NE(cta, nullptr);
  EXPECT_EQ(cta->namespace_, "keda");
  EXPECT_EQ(cta->env.at(0).name, "AMQP_URL");
  EXPECT_EQ(r.manifests.FindTriggerAuthentication("vault", "default"), nullptr);
}

TEST(ParseTest, UseCachedMetricsIsIgnoredWithAWarning) {
  LoadResult r = LoadText(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef: {template: {spec: {containers: [{name: c}]}}}
  triggers:
    - type: rabbitmq
      useCachedMetrics: true
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << AllDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(r.diagnostics[0].location.line, 8);
}

TEST(LoadTest, MissingPathIsNotFoundNamingThePath) {
  absl::StatusOr<LoadResult> r = LoadManifests({"/nonexistent/ebb.yaml"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("/nonexistent/ebb.yaml"));
}

TEST(LoadTest, DirectoryLoadsYamlYmlAndJsonInNameOrderNotRecursively) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::path(::testing::TempDir()) / "ebb_spec_load_dir_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  auto write = [](const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
  };
  const std::string secret = "apiVersion: v1\nkind: Secret\nmetadata:\n";
  write(dir / "b.yml", secret + "  name: b\n");
  write(dir / "a.yaml", secret + "  name: a\n");
  write(dir / "c.json",
        R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"},)"
        R"( "stringData": {"k": "v"}})");
  write(dir / "notes.txt", "not: [yaml");
  write(dir / "sub" / "d.yaml", secret + "  name: d\n");
  absl::StatusOr<LoadResult> r = LoadManifests({dir.string()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->diagnostics.empty()) << AllDiagnostics(*r);
  std::vector<std::string> names;
  for (const Secret& s : r->manifests.secrets) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("a", "b", "c"));
  EXPECT_EQ(r->manifests.secrets[2].data.at("k"), "v");
  fs::remove_all(dir);
}

TEST(DiagnosticTest, ToStringForms) {
  EXPECT_EQ((SourceLocation{"f.yaml", 3, 4}).ToString(), "f.yaml:3:4");
  EXPECT_EQ((SourceLocation{"f.yaml", 3, 0}).ToString(), "f.yaml:3");
  EXPECT_EQ((SourceLocation{"f.yaml", 0, 0}).ToString(), "f.yaml");
  Diagnostic d{Diagnostic::Severity::kWarning, {"f.yaml", 1, 2}, "m"};
  EXPECT_EQ(d.ToString(), "f.yaml:1:2: warning: m");
}

}  // namespace
}  // namespace ebb::spec
