// SPDX-License-Identifier: Apache-2.0
//
// The seed manifests (examples/stable-diffusion/manifests.yaml) parse into
// exactly the values, defaults and locations the seed article gives.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/manifests.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::SeedPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class SeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LoadResult> r = LoadManifests({SeedPath()});
    ASSERT_TRUE(r.ok()) << r.status();
    result_ = *std::move(r);
    ASSERT_EQ(result_.manifests.scaled_jobs.size(), 1u);
    job_ = &result_.manifests.scaled_jobs[0];
  }
  LoadResult result_;
  const ScaledJob* job_ = nullptr;
};

TEST_F(SeedTest, LoadsWithoutDiagnostics) {
  EXPECT_TRUE(result_.diagnostics.empty()) << AllDiagnostics(result_);
  EXPECT_FALSE(result_.HasErrors());
  EXPECT_EQ(result_.manifests.secrets.size(), 2u);
  EXPECT_EQ(result_.manifests.trigger_authentications.size(), 1u);
}

TEST_F(SeedTest, ScaledJobTopLevelFields) {
  EXPECT_EQ(job_->name, "stable-diff-job");
  EXPECT_EQ(job_->namespace_, "stable-diff");
  EXPECT_EQ(job_->generation, 1);
  EXPECT_EQ(job_->polling_interval, 5);
  EXPECT_EQ(job_->max_replica_count, 4);
  EXPECT_FALSE(job_->min_replica_count.has_value());
  EXPECT_EQ(job_->successful_jobs_history_limit, 0);
  EXPECT_EQ(job_->failed_jobs_history_limit, 100);
  EXPECT_EQ(job_->rollout.strategy, "default");
  EXPECT_EQ(job_->rollout.propagation_policy, "foreground");
  EXPECT_TRUE(job_->rollout.DeletesOldJobs());
  EXPECT_TRUE(job_->rollout.Foreground());
  EXPECT_EQ(job_->EffectiveRolloutStrategy(), "default");
  EXPECT_EQ(job_->scaling_strategy.strategy, ScalingStrategyType::kDefault);
  EXPECT_EQ(job_->scaling_strategy.multiple_scalers_calculation,
            MultipleScalersCalculation::kMax);
  EXPECT_EQ(job_->MinReplicaCount(), 0);
  EXPECT_EQ(job_->MaxReplicaCount(), 4);
  EXPECT_FALSE(job_->Paused());
  EXPECT_EQ(job_->location.line, 33);
  EXPECT_EQ(job_->LocationOf("spec.pollingInterval").ToString(),
            SeedPath() + ":112:20");
}

TEST_F(SeedTest, Trigger) {
  ASSERT_EQ(job_->triggers.size(), 1u);
  const ScaleTrigger& t = job_->triggers[0];
  EXPECT_EQ(t.type, "rabbitmq");
  EXPECT_EQ(t.name, "");
  EXPECT_THAT(t.metadata,
              ElementsAre(Pair("activationValue", "0"),
                          Pair("mode", "QueueLength"), Pair("protocol", "amqp"),
                          Pair("queueName", "tasks"), Pair("value", "1")));
  EXPECT_EQ(t.metadata_locations.at("mode").line, 123);
  EXPECT_EQ(t.metadata_locations.at("mode").column, 15);
  ASSERT_TRUE(t.authentication_ref.has_value());
  EXPECT_EQ(t.authentication_ref->name, "stable-diff-rabbitmq-connection");
  EXPECT_EQ(t.authentication_ref->kind, "TriggerAuthentication");
  EXPECT_EQ(t.location.line, 119);
  EXPECT_EQ(t.location.column, 7);
}

TEST_F(SeedTest, JobTargetRef) {
  const JobSpec& spec = job_->job_target_ref;
  EXPECT_EQ(spec.backoff_limit, 4);
  EXPECT_EQ(spec.parallelism, 1);
  EXPECT_EQ(spec.completions, 1);
  EXPECT_FALSE(spec.active_deadline_seconds.has_value());
  EXPECT_FALSE(spec.ttl_seconds_after_finished.has_value());
  EXPECT_THAT(spec.raw_yaml, HasSubstr("backoffLimit: 4"));
  EXPECT_THAT(spec.raw_yaml, HasSubstr("podAntiAffinity"));
  const PodTemplate& pod = spec.template_;
  EXPECT_THAT(pod.labels, ElementsAre(Pair("app", "stable-diffusion-worker")));
  EXPECT_EQ(pod.restart_policy, "OnFailure");  // defaulted
  EXPECT_EQ(pod.termination_grace_period_seconds, 30);
  ASSERT_EQ(pod.volumes.size(), 1u);
  EXPECT_EQ(pod.volumes[0].name, "shared-images");
  EXPECT_TRUE(pod.volumes[0].empty_dir);
  EXPECT_EQ(pod.volumes[0].source_kind, "emptyDir");
  ASSERT_EQ(pod.containers.size(), 2u);

  const Container& worker = pod.containers[0];
  EXPECT_EQ(worker.name, "stable-diffusion-worker");
  EXPECT_EQ(worker.image, "ghcr.io/kedify/stable-diffusion-worker");
  EXPECT_EQ(worker.location.line, 46);
  ASSERT_EQ(worker.volume_mounts.size(), 1u);
  EXPECT_EQ(worker.volume_mounts[0].name, "shared-images");
  EXPECT_EQ(worker.volume_mounts[0].mount_path, "/app/results");
  EXPECT_FALSE(worker.volume_mounts[0].read_only);
  ASSERT_EQ(worker.env.size(), 3u);
  EXPECT_EQ(worker.env[0].name, "AMQP_URL");
  ASSERT_TRUE(worker.env[0].secret_key_ref.has_value());
  EXPECT_EQ(worker.env[0].secret_key_ref->name, "stablediff-rabbitmq");
  EXPECT_EQ(worker.env[0].secret_key_ref->key, "host");
  EXPECT_FALSE(worker.env[0].secret_key_ref->optional);
  EXPECT_EQ(worker.env[0].location.line, 60);
  EXPECT_EQ(worker.env[1].value, "GPU");
  EXPECT_EQ(worker.env[2].value, "1");
  EXPECT_FALSE(worker.readiness_probe.has_value());

  const Container& sidecar = pod.containers[1];
  EXPECT_EQ(sidecar.name, "minio-sidecar");
  EXPECT_THAT(sidecar.command, ElementsAre("/bin/sh", "-c"));
  ASSERT_EQ(sidecar.args.size(), 1u);
  EXPECT_THAT(
      sidecar.args[0],
      HasSubstr("mc mirror --exclude working /images shared/images;\n"));
  EXPECT_EQ(sidecar.volume_mounts[0].mount_path, "/images");
}

TEST_F(SeedTest, SecretsAndTriggerAuthentication) {
  const Manifests& m = result_.manifests;
  const Secret* rabbit = m.FindSecret("stablediff-rabbitmq", "stable-diff");
  ASSERT_NE(rabbit, nullptr);
  EXPECT_EQ(rabbit->data.at("host"), "amqp://guest:guest@127.0.0.1:5672/");
  EXPECT_EQ(rabbit->location.line, 5);
  const Secret* minio = m.FindSecret("minio", "stable-diff");
  ASSERT_NE(minio, nullptr);
  EXPECT_EQ(minio->data.at("rootUser"), "minioadmin");
  EXPECT_EQ(minio->data.at("rootPassword"), "change-me-please");
  EXPECT_EQ(m.FindSecret("minio", "default"), nullptr);

  const TriggerAuthentication* ta = m.FindTriggerAuthentication(
      "stable-diff-rabbitmq-connection", "stable-diff");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->kind, "TriggerAuthentication");
  ASSERT_EQ(ta->secret_target_ref.size(), 1u);
  EXPECT_EQ(ta->secret_target_ref[0].parameter, "host");
  EXPECT_EQ(ta->secret_target_ref[0].name, "stablediff-rabbitmq");
  EXPECT_EQ(ta->secret_target_ref[0].key, "host");
  EXPECT_EQ(ta->secret_target_ref[0].location.line, 29);
  EXPECT_EQ(m.FindScaledJob("stable-diff-job"), &m.scaled_jobs[0]);
  EXPECT_EQ(m.FindScaledJob("nope"), nullptr);
}

}  // namespace
}  // namespace ebb::spec
