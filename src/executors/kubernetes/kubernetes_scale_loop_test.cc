// SPDX-License-Identifier: Apache-2.0
//
// The controller's scale loop driving the Kubernetes executor against the API
// server double, with the seed's ScaledJob (max 4, default strategy): the
// issue's end-to-end behaviours, tick by tick.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "controller/scale_loop.h"
#include "executors/kubernetes/kube_executor_fixture.h"
#include "metrics/metrics.h"
#include "scalers/testing/fake_scaler.h"

namespace ebb::executors::kubernetes::testing {
namespace {

using Json = nlohmann::json;

class KubeScaleLoopTest : public KubeExecutorTest {
 protected:
  void SetUp() override {
    KubeExecutorTest::SetUp();
    auto loaded = spec::LoadManifests({SeedPath()});
    ASSERT_TRUE(loaded.ok());
    manifests_ = std::make_shared<spec::Manifests>(loaded->manifests);
    const spec::ScaledJob* sj = manifests_->FindScaledJob(kSj);
    ASSERT_NE(sj, nullptr);
    std::vector<controller::TriggerBinding> bindings;
    bindings.push_back(
        {.name = "rabbitmq", .type = "rabbitmq", .index = 0, .build = [this]() {
           return scalers::FakeQueueScalerFactory(&queue_).Create({});
         }});
    loop_ = std::make_unique<controller::ScaleLoop>(
        *sj, manifests_, std::move(bindings), Executor(), clock_, metrics_,
        controller::ScaleLoopOptions{});
  }
  // Every Job in the double, in creation order of names.
  std::vector<Json> Stored() {
    return server_.store().List("jobs", kNs, LabelSelector());
  }
  // Waits until the executor sees `n` unfinished jobs, `state` each.
  bool WaitUnfinished(size_t n, JobState state) {
    return WaitFor([&] {
      size_t count = 0;
      for (const Job& j : Jobs()) {
        if (j.Finished()) continue;
        if (j.state != state) return false;
        ++count;
      }
      return count == n;
    });
  }
  void SetPods(const Json& status) {
    for (const Json& job : Stored()) {
      const std::string name = job["metadata"]["name"];
      server_.store().Put("pods", kNs, PodFor(job, name + "-p", status));
    }
  }
  void CompleteAll() {
    for (const Json& job : Stored()) {
      server_.store().Update("jobs", kNs, job["metadata"]["name"], [](Json& j) {
        j["status"]["conditions"] = {
            {{"type", "Complete"},
             {"status", "True"},
             {"lastTransitionTime", "2026-01-01T00:01:00Z"}}};
      });
    }
  }

  std::atomic<double> queue_{0};
  FakeClock clock_;
  metrics::Registry metrics_;
  std::shared_ptr<spec::Manifests> manifests_;
  std::unique_ptr<controller::ScaleLoop> loop_;
};

TEST_F(KubeScaleLoopTest, SixMessagesMaxFourMakeFourJobsThenNoDuplicate) {
  queue_ = 6;
  controller::PollRecord r = loop_->Poll("start");
  ASSERT_TRUE(r.jobs_listed) << r.error;
  EXPECT_EQ(r.created, 4);
  ASSERT_EQ(Stored().size(), 4u);
  for (const Json& job : Stored()) {
    EXPECT_EQ(job["metadata"]["generateName"], "stable-diff-job-");
    EXPECT_EQ(job["metadata"]["labels"]["scaledjob.keda.sh/name"], kSj);
    EXPECT_EQ(job["spec"]["backoffLimit"], 4);
  }

  // GPU nodes still booting: every pod Unschedulable for ten ticks.
  SetPods(UnschedulableStatus());
  ASSERT_TRUE(WaitUnfinished(4, JobState::kPending));
  // Pending already before the pods came (NoPod): wait for their watch events.
  ASSERT_TRUE(WaitFor([&] {
    for (const Job& j : Jobs()) {
      if (j.reason != "Unschedulable") return false;
    }
    return true;
  }));
  for (int tick = 0; tick < 10; ++tick) {
    r = loop_->Poll("interval");
    ASSERT_TRUE(r.jobs_listed) << r.error;
    EXPECT_EQ(r.created, 0) << "tick " << tick;
  }
  EXPECT_EQ(Stored().size(), 4u);
  for (const Job& j : Jobs()) EXPECT_EQ(j.reason, "Unschedulable");

  // Nodes arrive; each worker takes one message.
  SetPods(ReadyStatus());
  queue_ = 2;
  ASSERT_TRUE(WaitUnfinished(4, JobState::kRunning));
  EXPECT_EQ(loop_->Poll("interval").created, 0);

  // They finish (EXIT_AFTER_ONE_TASK); the two messages left get two Jobs,
  // and the finished ones are cleaned up (successfulJobsHistoryLimit 0).
  CompleteAll();
  ASSERT_TRUE(WaitUnfinished(0, JobState::kRunning));
  r = loop_->Poll("interval");
  EXPECT_EQ(r.created, 2);
  EXPECT_EQ(r.cleaned_up, 4);
  ASSERT_TRUE(WaitFor([&] { return Stored().size() == 2u; }));
  EXPECT_EQ(loop_->Poll("interval").created, 0);
  EXPECT_EQ(server_.Requests("create", "jobs"), 6);
}

TEST_F(KubeScaleLoopTest, NothingIsCreatedWhileJobsCannotBeListed) {
  server_.Deny("list", "jobs");
  queue_ = 6;
  for (int tick = 0; tick < 3; ++tick) {
    controller::PollRecord r = loop_->Poll("interval");
    EXPECT_FALSE(r.jobs_listed);
    EXPECT_EQ(r.created, 0);
    EXPECT_THAT(r.error, ::testing::HasSubstr("cannot list resource \"jobs\""));
  }
  EXPECT_EQ(server_.Requests("create", "jobs"), 0);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
