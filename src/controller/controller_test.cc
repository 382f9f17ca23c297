// SPDX-License-Identifier: Apache-2.0
#include "controller/controller.h"

#include <atomic>
#include <memory>

#include "executors/fake_executor.h"
#include "gtest/gtest.h"
#include "scalers/testing/fake_scaler.h"

namespace ebb::controller {
namespace {

std::atomic<double> g_queue_length{0};

std::shared_ptr<spec::Manifests> OneScaledJob(int polling_interval) {
  auto m = std::make_shared<spec::Manifests>();
  spec::ScaledJob job;
  job.name = "sd";
  job.polling_interval = polling_interval;
  job.max_replica_count = 4;
  spec::Container c;
  c.name = "worker";
  c.command = {"/bin/true"};
  job.job_target_ref.template_.containers.push_back(c);
  spec::ScaleTrigger t;
  t.type = "q";
  t.metadata["queueName"] = "tasks";
  job.triggers.push_back(t);
  m->scaled_jobs.push_back(job);
  return m;
}

// Waits (condition-based, bounded) until `pred` holds.
template <typename Pred>
bool WaitFor(Pred pred, absl::Duration limit = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return pred();
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_queue_length = 0;
    registry_.Register(
        std::make_unique<scalers::FakeQueueScalerFactory>(&g_queue_length));
  }
  scalers::ScalerRegistry registry_;
  executors::FakeExecutor executor_;
  metrics::Registry metrics_;
};

TEST_F(ControllerTest, PollsAtStartThenWakeQueuePollsAtOnce) {
  // A one-hour interval: any poll after the first comes from the wake-up.
  auto c = Controller::Create(OneScaledJob(3600), registry_, executor_,
                              metrics_, {});
  ASSERT_TRUE(c.ok()) << c.status();
  (*c)->Start();
  ASSERT_TRUE(WaitFor([&] { return executor_.list_calls() >= 1; }));
  EXPECT_EQ(executor_.create_calls(), 0);

  g_queue_length = 2;
  (*c)->WakeQueue("other-queue");  // not watched: no poll
  (*c)->WakeQueue("tasks");
  ASSERT_TRUE(WaitFor([&] { return executor_.create_calls() == 2; }));
  (*c)->Stop();
  auto snaps = (*c)->Snapshots(10);
  ASSERT_EQ(snaps.size(), 1u);
  ASSERT_EQ(snaps[0].recent.size(), 2u);
  EXPECT_EQ(snaps[0].recent[0].cause, "start");
  EXPECT_EQ(snaps[0].recent[1].cause, "wake");
  EXPECT_EQ(snaps[0].recent[1].created, 2);
}

TEST_F(ControllerTest, ReloadReplacesScaledJobs) {
  auto c = Controller::Create(OneScaledJob(3600), registry_, executor_,
                              metrics_, {});
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  auto m = OneScaledJob(3600);
  m->scaled_jobs[0].name = "renamed";
  ASSERT_TRUE((*c)->Reload(m).ok());
  EXPECT_EQ((*c)->ScaledJobNames(), std::vector<std::string>{"renamed"});
  ASSERT_TRUE(
      WaitFor([&] { return (*c)->Snapshots(1)[0].recent.size() == 1; }));
}

// A leader elector stops the controller when leadership is lost and starts
// it again when it is regained: the loops must poll again.
TEST_F(ControllerTest, StartAfterStopPollsAgain) {
  auto c = Controller::Create(OneScaledJob(3600), registry_, executor_,
                              metrics_, {});
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  ASSERT_TRUE(
      WaitFor([&] { return (*c)->Snapshots(10)[0].recent.size() == 1; }));
  (*c)->Stop();
  (*c)->Start();
  ASSERT_TRUE(
      WaitFor([&] { return (*c)->Snapshots(10)[0].recent.size() == 2; }));
  g_queue_length = 1;
  (*c)->Wake("sd");  // the restarted loop still answers wake-ups
  ASSERT_TRUE(WaitFor([&] { return executor_.create_calls() == 1; }));
  (*c)->Stop();
  EXPECT_EQ((*c)->Snapshots(10)[0].recent[1].cause, "start");
}

// With the set of changed names, an unchanged ScaledJob keeps its loop (no
// new "start" poll) while a changed one restarts.
TEST_F(ControllerTest, ReloadRestartsOnlyTheNamedLoops) {
  auto m = OneScaledJob(3600);
  m->scaled_jobs.push_back(m->scaled_jobs[0]);
  m->scaled_jobs[1].name = "other";
  auto c = Controller::Create(m, registry_, executor_, metrics_, {});
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  auto polls = [&](const std::string& name) -> size_t {
    for (const auto& s : (*c)->Snapshots(10)) {
      if (s.name == name) return s.recent.size();
    }
    return 0;
  };
  ASSERT_TRUE(WaitFor([&] { return polls("sd") == 1 && polls("other") == 1; }));
  auto changed = OneScaledJob(3600);
  changed->scaled_jobs.push_back(m->scaled_jobs[1]);
  changed->scaled_jobs[0].max_replica_count = 2;
  const std::set<std::string> restart = {"sd"};
  ASSERT_TRUE((*c)->Reload(changed, &restart).ok());
  // The restarted loop starts a fresh history; the kept one still has its.
  ASSERT_TRUE(WaitFor([&] { return polls("sd") == 1; }));
  EXPECT_EQ(polls("other"), 1u);
  for (const auto& s : (*c)->Snapshots(10)) {
    if (s.name == "sd") EXPECT_EQ(s.max_replica_count, 2);
  }
  // A kept loop is not stopped by the reload: it still answers wake-ups.
  (*c)->Wake("other");
  ASSERT_TRUE(WaitFor([&] { return polls("other") == 2; }));
  (*c)->Stop();
}

TEST_F(ControllerTest, UnknownTriggerTypeIsAnError) {
  auto m = OneScaledJob(5);
  m->scaled_jobs[0].triggers[0].type = "kafka";
  auto c = Controller::Create(m, registry_, executor_, metrics_, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown trigger type \"kafka\""),
            std::string::npos);
}

TEST(TrackGenerationTest, BumpsOnlyWhenTemplateChanges) {
  std::string dir =
      ::testing::TempDir() + "/ebb_gen_" + std::to_string(::getpid());
  spec::ScaledJob job;
  job.name = "sd";
  job.job_target_ref.raw_yaml = "a: 1";
  EXPECT_EQ(TrackGeneration(dir, job), 1);
  EXPECT_EQ(TrackGeneration(dir, job), 1);
  job.job_target_ref.raw_yaml = "a: 2";
  EXPECT_EQ(TrackGeneration(dir, job), 2);
  EXPECT_EQ(TrackGeneration(dir, job), 2);
}

}  // namespace
}  // namespace ebb::controller
