// SPDX-License-Identifier: Apache-2.0
//
// ScaledJobStatusWriter against the API server double: conditions as KEDA
// writes them, written only on change; events on transitions.
#include "executors/kubernetes/cluster/status_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/cluster/cluster_test_util.h"
#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/testing/api_double_fixture.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;
using kubernetes::testing::FakeApiServer;
using kubernetes::testing::LabelSelector;
using kubernetes::testing::WaitFor;
using testing::kSeedJob;
using testing::kSeedNs;

class StatusWriterTest : public kubernetes::testing::ApiDoubleTest {
 protected:
  void SetUp() override {
    ApiDoubleTest::SetUp();
    if (HasFatalFailure()) return;
    auto created =
        testing::CreateObject(*client_, testing::SeedObject("ScaledJob"));
    ASSERT_TRUE(created.ok()) << created.status();
    writer_ = std::make_unique<ScaledJobStatusWriter>(client_.get());
    writer_->Start();
  }
  // The ScaledJob as the source would report it (valid unless `problem`).
  ClusterManifests State(const std::string& problem = "") {
    Json stored = *server_.store().Get("scaledjobs", kSeedNs, kSeedJob);
    ScaledJobIdentity id;
    id.namespace_ = kSeedNs;
    id.name = kSeedJob;
    id.uid = stored["metadata"]["uid"];
    id.resource_version = stored["metadata"]["resourceVersion"];
    id.generation = stored["metadata"]["generation"];
    const Json ann = stored["metadata"].value("annotations", Json::object());
    id.paused = ann.value("autoscaling.keda.sh/paused", "") == "true";
    if (stored.contains("status")) {
      id.conditions = stored["status"].value("conditions", Json());
    }
    ClusterManifests m;
    m.scaled_jobs.push_back(id);
    if (!problem.empty()) m.problems.push_back({id, problem});
    return m;
  }
  Json Condition(const std::string& type) {
    Json stored = *server_.store().Get("scaledjobs", kSeedNs, kSeedJob);
    for (const Json& c : stored["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }
  std::vector<std::string> Reasons() {
    std::vector<std::string> out;
    for (const Json& e :
         server_.store().List("events", kSeedNs, LabelSelector())) {
      out.push_back(e["reason"]);
    }
    return out;
  }
  int StatusPatches() { return server_.Requests("patch", "scaledjobs/status"); }
  bool Idle() { return writer_->WaitIdle(absl::Seconds(10)); }
  PollObservation Poll(bool active, int created = 0) {
    PollObservation p;
    p.time = absl::Now();
    p.active = active;
    p.trigger_active = active;
    p.created = created;
    return p;
  }

  std::unique_ptr<ScaledJobStatusWriter> writer_;
};

TEST_F(StatusWriterTest, ConditionsAreWrittenOnlyWhenTheyChange) {
  writer_->Sync(State());
  PollObservation start = Poll(false);
  start.start = true;
  writer_->Observe(kSeedJob, start);
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Ready")["status"], "True");
  EXPECT_EQ(Condition("Ready")["reason"], "ScaledJobReady");
  EXPECT_EQ(Condition("Active")["status"], "False");
  EXPECT_EQ(Condition("Active")["reason"], "ScalerNotActive");
  EXPECT_EQ(Condition("Fallback")["status"], "Unknown");
  EXPECT_EQ(Condition("Paused")["status"], "Unknown");
  EXPECT_FALSE(Condition("Active")["lastTransitionTime"].is_null());
  const int writes = StatusPatches();
  EXPECT_GE(writes, 1);

  // Steady state: a hundred idle polls and the source's echo of our own
  // write cost no API call.
  writer_->Sync(State());
  for (int i = 0; i < 100; ++i) writer_->Observe(kSeedJob, Poll(false));
  ASSERT_TRUE(Idle());
  EXPECT_EQ(StatusPatches(), writes);

  // A transition: one write, one event.
  writer_->Observe(kSeedJob, Poll(true, 2));
  for (int i = 0; i < 10; ++i) writer_->Observe(kSeedJob, Poll(true));
  ASSERT_TRUE(Idle());
  EXPECT_EQ(StatusPatches(), writes + 1);
  EXPECT_EQ(Condition("Active")["status"], "True");
  Json stored = *server_.store().Get("scaledjobs", kSeedNs, kSeedJob);
  EXPECT_TRUE(stored["status"].contains("lastActiveTime"));
  EXPECT_THAT(Reasons(),
              ::testing::IsSupersetOf({"ScaledJobReady", "KEDAScalersStarted",
                                       "ScaledJobActive", "KEDAJobsCreated"}));
  writer_->Observe(kSeedJob, Poll(false));
  ASSERT_TRUE(Idle());
  EXPECT_THAT(Reasons(), ::testing::Contains("ScaledJobInactive"));
}

TEST_F(StatusWriterTest, FailedCreatesAreAWarningEvent) {
  writer_->Sync(State());
  PollObservation p = Poll(true, 1);
  p.create_failures = 2;
  p.create_error = "create job: kubernetes: POST ...: 403 Forbidden";
  writer_->Observe(kSeedJob, p);
  ASSERT_TRUE(Idle());
  bool found = false;
  for (const Json& e :
       server_.store().List("events", kSeedNs, LabelSelector())) {
    if (e["reason"] == "KEDAJobsCreated") {
      EXPECT_EQ(e["message"], "Created 3 jobs");  // attempted, as KEDA
    }
    if (e["reason"] != "KEDAJobCreateFailed") continue;
    found = true;
    EXPECT_EQ(e["type"], "Warning");
    EXPECT_EQ(e["message"],
              "Failed to create 2 of 3 jobs: create job: kubernetes: POST "
              "...: 403 Forbidden");
  }
  EXPECT_TRUE(found);
}

// A restart of ebb (or KEDA before it) left conditions that still hold: they
// are not rewritten.
TEST_F(StatusWriterTest, StoredConditionsThatHoldAreNotRewritten) {
  writer_->Sync(State());
  writer_->Observe(kSeedJob, Poll(false));
  ASSERT_TRUE(Idle());
  const int writes = StatusPatches();
  writer_->Stop();
  ScaledJobStatusWriter again(client_.get());
  again.Start();
  again.Sync(State());
  again.Observe(kSeedJob, Poll(false));
  ASSERT_TRUE(again.WaitIdle(absl::Seconds(10)));
  EXPECT_EQ(StatusPatches(), writes);
}

TEST_F(StatusWriterTest, CheckFailureIsReportedOncePerGeneration) {
  writer_->Sync(State("cluster:stable-diff/ScaledJob/x:3:1: error: bad"));
  writer_->Sync(State("cluster:stable-diff/ScaledJob/x:3:1: error: bad"));
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Ready")["status"], "False");
  EXPECT_EQ(Condition("Ready")["reason"], "ScaledJobCheckFailed");
  EXPECT_THAT(Condition("Ready")["message"].get<std::string>(),
              ::testing::HasSubstr("error: bad"));
  EXPECT_EQ(Condition("Active")["status"], "Unknown");
  auto events = server_.store().List("events", kSeedNs, LabelSelector());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["reason"], "ScaledJobCheckFailed");
  EXPECT_EQ(events[0]["type"], "Warning");
  EXPECT_EQ(events[0]["count"], 1);
  // Polls of a failing ScaledJob (a loop still stopping) change nothing.
  writer_->Observe(kSeedJob, Poll(true));
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Ready")["reason"], "ScaledJobCheckFailed");
  // Fixed: Ready again, with an event.
  writer_->Sync(State());
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Ready")["status"], "True");
  EXPECT_THAT(Reasons(), ::testing::Contains("ScaledJobReady"));
}

TEST_F(StatusWriterTest, PausedUnpausedAndDeleted) {
  writer_->Sync(State());
  ASSERT_TRUE(
      server_.store().Update("scaledjobs", kSeedNs, kSeedJob, [](Json& o) {
        o["metadata"]["annotations"]["autoscaling.keda.sh/paused"] = "true";
      }));
  writer_->Sync(State());
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Paused")["status"], "True");
  EXPECT_EQ(Condition("Paused")["reason"], "ScaledJobPaused");
  ASSERT_TRUE(
      server_.store().Update("scaledjobs", kSeedNs, kSeedJob, [](Json& o) {
        o["metadata"]["annotations"].erase("autoscaling.keda.sh/paused");
      }));
  writer_->Sync(State());
  ASSERT_TRUE(Idle());
  EXPECT_EQ(Condition("Paused")["status"], "False");
  EXPECT_EQ(Condition("Paused")["reason"], "ScaledJobUnpaused");
  writer_->Sync(ClusterManifests{});
  ASSERT_TRUE(Idle());
  EXPECT_THAT(Reasons(),
              ::testing::IsSupersetOf({"ScaledJobPaused", "ScaledJobUnpaused",
                                       "ScaledJobDeleted"}));
}

// Writes that fail are retried and never block the caller.
TEST_F(StatusWriterTest, FailedWritesAreRetried) {
  server_.Deny("patch", "scaledjobs/status");
  StatusWriterOptions o;
  o.retry = absl::Milliseconds(100);
  writer_->Stop();
  ScaledJobStatusWriter w(client_.get(), o);
  w.Start();
  w.Sync(State());
  ASSERT_TRUE(WaitFor([&] { return w.stats().status_failures >= 2; }));
  server_.Allow("patch", "scaledjobs/status");
  ASSERT_TRUE(WaitFor([&] { return w.stats().status_writes >= 1; }));
  EXPECT_EQ(Condition("Ready")["status"], "True");
}

}  // namespace
}  // namespace ebb::executors::kubernetes::cluster
