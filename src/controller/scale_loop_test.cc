// SPDX-License-Identifier: Apache-2.0
#include "controller/scale_loop.h"

#include <memory>

#include "executors/fake_executor.h"
#include "gtest/gtest.h"

namespace ebb::controller {
namespace {

using executors::FakeExecutor;
using executors::JobState;

// A scaler whose reading the test sets; can fail a number of reads.
struct ScalerState {
  double value = 0;
  double target = 1;
  double activation = 0;
  int fail_reads = 0;
  int builds = 0;
};

class FakeScaler : public scalers::Scaler {
 public:
  explicit FakeScaler(std::shared_ptr<ScalerState> s) : s_(std::move(s)) {}
  absl::StatusOr<scalers::MetricReading> GetMetricsAndActivity() override {
    if (s_->fail_reads > 0) {
      --s_->fail_reads;
      return absl::UnavailableError("broker amqp://u:secretpw@h/ down");
    }
    return scalers::MetricReading{"s0-fake-q", s_->value,
                                  s_->value > s_->activation};
  }
  double Target() const override { return s_->target; }
  std::string MetricName() const override { return "s0-fake-q"; }
  std::string Describe() const override { return "fake"; }

 private:
  std::shared_ptr<ScalerState> s_;
};

spec::ScaledJob MakeJob(int max, const std::string& strategy = "default") {
  spec::ScaledJob job;
  job.name = "sd";
  job.namespace_ = "ns";
  job.max_replica_count = max;
  job.polling_interval = 5;
  job.successful_jobs_history_limit = 0;
  job.failed_jobs_history_limit = 1;
  if (strategy == "accurate")
    job.scaling_strategy.strategy = spec::ScalingStrategyType::kAccurate;
  if (strategy == "eager")
    job.scaling_strategy.strategy = spec::ScalingStrategyType::kEager;
  spec::Container c;
  c.name = "worker";
  c.command = {"/bin/true"};
  job.job_target_ref.template_.containers.push_back(c);
  job.job_target_ref.backoff_limit = 4;
  spec::ScaleTrigger t;
  t.type = "fake";
  job.triggers.push_back(t);
  return job;
}

class ScaleLoopTest : public ::testing::Test {
 protected:
  std::unique_ptr<ScaleLoop> MakeLoop(spec::ScaledJob job) {
    std::vector<TriggerBinding> bindings;
    auto state = scaler_;
    bindings.push_back(TriggerBinding{
        .name = "fake", .type = "fake", .index = 0, .build = [state]() {
          ++state->builds;
          return absl::StatusOr<std::unique_ptr<scalers::Scaler>>(
              std::make_unique<FakeScaler>(state));
        }});
    return std::make_unique<ScaleLoop>(
        std::move(job), std::make_shared<spec::Manifests>(),
        std::move(bindings), executor_, clock_, metrics_, ScaleLoopOptions{});
  }

  int Unfinished() {
    int n = 0;
    for (const auto& j : *executor_.List("ns", "sd")) n += j.Finished() ? 0 : 1;
    return n;
  }

  FakeClock clock_;
  FakeExecutor executor_{&clock_};
  metrics::Registry metrics_;
  std::shared_ptr<ScalerState> scaler_ = std::make_shared<ScalerState>();
};

TEST_F(ScaleLoopTest, DoesNotCreatePastMaxReplicaCount) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 12;
  PollRecord r = loop->Poll("start");
  EXPECT_EQ(r.created, 4);
  EXPECT_EQ(r.decision.queue_length, 12);
  EXPECT_EQ(r.decision.max_scale, 4);
  // Still 12 ready messages, 4 jobs pending: the default strategy gives M - R =
  // 0.
  r = loop->Poll("interval");
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(Unfinished(), 4);
}

TEST_F(ScaleLoopTest, CreatesNothingWhenQueueIsEmpty) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 0;
  PollRecord r = loop->Poll("start");
  EXPECT_FALSE(r.decision.active);
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(executor_.create_calls(), 0);
}

TEST_F(ScaleLoopTest, FailsClosedWhenJobsCannotBeListed) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 3;
  executor_.FailNextList();
  PollRecord r = loop->Poll("start");
  EXPECT_FALSE(r.jobs_listed);
  EXPECT_EQ(r.created, 0);
  EXPECT_EQ(executor_.create_calls(), 0);
  EXPECT_NE(r.error.find("cannot list jobs"), std::string::npos);
}

TEST_F(ScaleLoopTest, PendingJobIsNotDoubleStartedWhileModelLoads) {
  auto loop = MakeLoop(MakeJob(4, "accurate"));
  scaler_->value = 1;
  EXPECT_EQ(loop->Poll("start").created, 1);
  // The job's process runs but its model still loads: it stays pending and the
  // message stays ready. accurate: M - P = 1 - 1 = 0.
  EXPECT_EQ(loop->Poll("interval").created, 0);
  // Model loaded, message taken (queue 0): still nothing.
  auto jobs = *executor_.List("ns", "sd");
  ASSERT_TRUE(executor_.SetState("ns", jobs[0].name, JobState::kRunning).ok());
  scaler_->value = 0;
  EXPECT_EQ(loop->Poll("interval").created, 0);
}

TEST_F(ScaleLoopTest, ScalerErrorRebuildsOnceThenSkipsTrigger) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 2;
  scaler_->fail_reads = 1;  // first read fails, the rebuilt scaler's read works
  PollRecord r = loop->Poll("start");
  EXPECT_EQ(scaler_->builds, 2);
  EXPECT_EQ(r.created, 2);
  EXPECT_TRUE(r.triggers[0].error.empty());

  scaler_->fail_reads =
      2;  // both fail: trigger skipped, inactive, error recorded
  r = loop->Poll("interval");
  EXPECT_EQ(r.created, 0);
  ASSERT_EQ(r.triggers.size(), 1u);
  EXPECT_NE(r.triggers[0].error.find("down"), std::string::npos);
  EXPECT_EQ(r.triggers[0].error.find("secretpw"), std::string::npos);
  EXPECT_EQ(metrics_.Get("keda_scaled_job_errors_total",
                         {{"namespace", "ns"}, {"scaledJob", "sd"}}),
            1);
}

TEST_F(ScaleLoopTest, HistoryCleanupDeletesOldestFailuresFirst) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 3;
  ASSERT_EQ(loop->Poll("start").created, 3);
  auto jobs = *executor_.List("ns", "sd");
  // Fail them in the order 2, 0, 1; limit 1 keeps the newest failure (job 1).
  for (int i : {2, 0, 1}) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(executor_
                    .SetState("ns", jobs[i].name, JobState::kFailed,
                              "BackoffLimitExceeded")
                    .ok());
  }
  scaler_->value = 0;
  PollRecord r = loop->Poll("interval");
  EXPECT_EQ(r.cleaned_up, 2);
  auto deletes = executor_.deletes();
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_EQ(deletes[0].name, jobs[2].name);
  EXPECT_EQ(deletes[1].name, jobs[0].name);
  EXPECT_FALSE(deletes[0].foreground);
}

TEST_F(ScaleLoopTest, SuccessfulJobsHistoryLimitZeroRemovesCompletedJobs) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 1;
  ASSERT_EQ(loop->Poll("start").created, 1);
  auto jobs = *executor_.List("ns", "sd");
  ASSERT_TRUE(
      executor_.SetState("ns", jobs[0].name, JobState::kSucceeded).ok());
  scaler_->value = 0;
  EXPECT_EQ(loop->Poll("interval").cleaned_up, 1);
  EXPECT_EQ(executor_.size(), 0u);
}

TEST_F(ScaleLoopTest, PausedScaledJobCreatesNothing) {
  spec::ScaledJob job = MakeJob(4);
  job.annotations["autoscaling.keda.sh/paused"] = "true";
  auto loop = MakeLoop(job);
  scaler_->value = 5;
  PollRecord r = loop->Poll("start");
  EXPECT_TRUE(r.paused);
  EXPECT_EQ(executor_.create_calls(), 0);
  EXPECT_EQ(executor_.list_calls(), 0);
}

TEST_F(ScaleLoopTest, MinReplicaCountIsToppedUpWithEmptyQueue) {
  spec::ScaledJob job = MakeJob(4);
  job.min_replica_count = 2;
  auto loop = MakeLoop(job);
  scaler_->value = 0;
  EXPECT_EQ(loop->Poll("start").created, 2);
  EXPECT_EQ(loop->Poll("interval").created, 0);
}

TEST_F(ScaleLoopTest, JobsCarryAttemptLimitAndGeneration) {
  spec::ScaledJob job = MakeJob(4);
  job.generation = 7;
  auto loop = MakeLoop(job);
  scaler_->value = 1;
  ASSERT_EQ(loop->Poll("start").created, 1);
  auto requests = executor_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].extra_env.at("EBB_ATTEMPT_LIMIT"), "5");
  EXPECT_EQ(requests[0].annotations.at("scaledjob.keda.sh/generation"), "7");
  EXPECT_EQ(requests[0].labels.at("scaledjob.keda.sh/name"), "sd");
}

TEST_F(ScaleLoopTest, RolloutDeletesOldGenerationUnlessGradual) {
  spec::ScaledJob v1 = MakeJob(4);
  v1.generation = 1;
  auto loop1 = MakeLoop(v1);
  scaler_->value = 2;
  ASSERT_EQ(loop1->Poll("start").created, 2);

  spec::ScaledJob gradual = MakeJob(4);
  gradual.generation = 2;
  gradual.rollout.strategy = "gradual";
  MakeLoop(gradual)->RolloutOldGenerations();
  EXPECT_TRUE(executor_.deletes().empty());

  spec::ScaledJob v2 = MakeJob(4);
  v2.generation = 2;
  v2.rollout.propagation_policy = "foreground";
  MakeLoop(v2)->RolloutOldGenerations();
  ASSERT_EQ(executor_.deletes().size(), 2u);
  EXPECT_TRUE(executor_.deletes()[0].foreground);
}

TEST_F(ScaleLoopTest, ExportsKedaAndEbbMetrics) {
  auto loop = MakeLoop(MakeJob(4));
  scaler_->value = 3;
  loop->Poll("start");
  const metrics::Labels scaler_labels = {{"namespace", "ns"},
                                         {"scaledObject", "sd"},
                                         {"scaler", "fakeScaler"},
                                         {"triggerIndex", "0"},
                                         {"type", "scaledjob"}};
  EXPECT_EQ(metrics_.Get("keda_scaler_metrics_value", scaler_labels), 3);
  EXPECT_EQ(metrics_.Get("keda_scaler_active", scaler_labels), 1);
  EXPECT_EQ(metrics_.Get("ebb_jobs_created_total",
                         {{"namespace", "ns"}, {"scaledJob", "sd"}}),
            3);
  std::string text = metrics_.Exposition();
  EXPECT_NE(text.find("# TYPE keda_scaled_job_errors_total counter"),
            std::string::npos);
}

// Every job fails at exec ("Argument list too long"): the loop stops creating
// jobs and backs off, and says why in its record.
TEST_F(ScaleLoopTest, JobsThatFailToStartHoldCreationBackWithBackoff) {
  auto loop = MakeLoop(MakeJob(2));
  scaler_->value = 5;
  auto fail_all = [&] {
    const std::vector<executors::Job> jobs = *executor_.List("ns", "sd");
    for (executors::Job j : jobs) {
      if (j.Finished()) continue;
      j.state = JobState::kFailed;
      j.reason = "BackoffLimitExceeded";
      j.finished = clock_.Now();
      j.containers[0].state = "terminated";
      j.containers[0].reason = executors::kStartError;
      j.containers[0].message = "cannot run /w: Argument list too long";
      ASSERT_TRUE(executor_.SetJob(j).ok());
    }
  };
  EXPECT_EQ(loop->Poll("start").created, 2);
  fail_all();
  PollRecord r = loop->Poll("interval");
  EXPECT_EQ(r.created, 0);
  EXPECT_NE(r.start_backoff.find("cannot run /w: Argument list too long"),
            std::string::npos)
      << r.start_backoff;
  EXPECT_EQ(r.error, r.start_backoff);
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(loop->Poll("interval").created, 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(loop->Poll("interval").created, 2);
  fail_all();
  EXPECT_EQ(loop->Poll("interval").created, 0);  // now 20 s
  clock_.Advance(absl::Seconds(19));
  EXPECT_EQ(loop->Poll("interval").created, 0);
  clock_.Advance(absl::Seconds(1));
  r = loop->Poll("interval");
  ASSERT_EQ(r.created, 2);
  // One starts: creation goes on as usual.
  ASSERT_TRUE(
      executor_.SetState("ns", r.created_jobs[0], JobState::kRunning).ok());
  r = loop->Poll("interval");
  EXPECT_EQ(r.start_backoff, "");
}

}  // namespace
}  // namespace ebb::controller
