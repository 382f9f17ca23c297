// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/event_recorder.h"

#include <gtest/gtest.h>

#include "executors/kubernetes/cluster/conditions.h"
#include "executors/kubernetes/testing/api_double_fixture.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;
using kubernetes::testing::FakeApiServer;
using kubernetes::testing::LabelSelector;

class EventRecorderTest : public kubernetes::testing::ApiDoubleTest {
 protected:
  void SetUp() override {
    ApiDoubleTest::SetUp();
    if (HasFatalFailure()) return;
    object_.namespace_ = "ml";
    object_.name = "sj";
    object_.uid = "00000000-0000-4000-8000-000000000042";
    object_.resource_version = "17";
  }
  EventRecorder Recorder(int burst = 25) {
    EventRecorderOptions o;
    o.instance = "host-1";
    o.burst = burst;
    o.now = [this] { return now_; };
    return EventRecorder(client_.get(), o);
  }
  std::vector<Json> Events() {
    return server_.store().List("events", "ml", LabelSelector());
  }

  InvolvedObject object_;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);  // 2026-01-01
};

TEST_F(EventRecorderTest, WritesAnEventAsClientGoDoes) {
  EventRecorder r = Recorder();
  ASSERT_TRUE(
      r.Record(object_, kNormal, "KEDAJobsCreated", "Created 2 jobs").ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const Json& e = events[0];
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("sj.", 0), 0u);
  EXPECT_EQ(e["involvedObject"]["kind"], "ScaledJob");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "keda.sh/v1alpha1");
  EXPECT_EQ(e["involvedObject"]["uid"], object_.uid);
  EXPECT_EQ(e["involvedObject"]["resourceVersion"], "17");
  EXPECT_EQ(e["reason"], "KEDAJobsCreated");
  EXPECT_EQ(e["message"], "Created 2 jobs");
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["source"]["component"], "ebb");
  EXPECT_EQ(e["reportingComponent"], "ebb");
  EXPECT_EQ(e["reportingInstance"], "host-1");
  EXPECT_EQ(e["firstTimestamp"], "2026-01-01T00:00:00Z");
}

// The same event again within ten minutes: one Event, count 2, patched.
TEST_F(EventRecorderTest, IdenticalEventsAreAggregatedByCount) {
  EventRecorder r = Recorder();
  ASSERT_TRUE(
      r.Record(object_, kNormal, "KEDAJobsCreated", "Created 1 jobs").ok());
  now_ += absl::Minutes(2);
  ASSERT_TRUE(
      r.Record(object_, kNormal, "KEDAJobsCreated", "Created 1 jobs").ok());
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["count"], 2);
  EXPECT_EQ(Events()[0]["lastTimestamp"], "2026-01-01T00:02:00Z");
  EXPECT_EQ(Events()[0]["firstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(server_.Requests("patch", "events"), 1);
  // Another message is another Event; so is the same one after the window.
  ASSERT_TRUE(
      r.Record(object_, kNormal, "KEDAJobsCreated", "Created 3 jobs").ok());
  now_ += absl::Minutes(11);
  ASSERT_TRUE(
      r.Record(object_, kNormal, "KEDAJobsCreated", "Created 1 jobs").ok());
  EXPECT_EQ(Events().size(), 3u);
  EXPECT_EQ(r.created(), 3);
  EXPECT_EQ(r.aggregated(), 1);
}

// An aggregated Event that expired meanwhile (404) is created again.
TEST_F(EventRecorderTest, ExpiredEventIsCreatedAgain) {
  EventRecorder r = Recorder();
  ASSERT_TRUE(r.Record(object_, kWarning, "ScaledJobCheckFailed", "bad").ok());
  server_.store().Remove("events", "ml",
                         Events()[0]["metadata"]["name"].get<std::string>());
  now_ += absl::Seconds(1);
  ASSERT_TRUE(r.Record(object_, kWarning, "ScaledJobCheckFailed", "bad").ok());
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["count"], 1);
}

// client-go's spam filter: a burst per object, then one per five minutes.
TEST_F(EventRecorderTest, SpamFilterDropsABurstBeyondTheLimit) {
  EventRecorder r = Recorder(/*burst=*/3);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(r.Record(object_, kNormal, "KEDAJobsCreated",
                         "Created " + std::to_string(i) + " jobs")
                    .ok());
  }
  EXPECT_EQ(Events().size(), 3u);
  EXPECT_EQ(r.dropped(), 2);
  now_ += absl::Minutes(5);
  ASSERT_TRUE(r.Record(object_, kNormal, "KEDAJobsCreated", "later").ok());
  EXPECT_EQ(Events().size(), 4u);
}

TEST_F(EventRecorderTest, ApiErrorsAreReturned) {
  server_.Deny("create", "events");
  EventRecorder r = Recorder();
  absl::Status s = r.Record(object_, kNormal, "ScaledJobActive", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("cannot create resource \"events\""),
            std::string::npos);
}

TEST(ConditionsTest, InitialisedAsKedaAndTransitionTimesOnStatusChanges) {
  Conditions c;
  ASSERT_EQ(c.all().size(), 4u);
  EXPECT_EQ(c.all()[0].type, "Ready");
  EXPECT_EQ(c.all()[3].type, "Paused");
  EXPECT_EQ(c.StatusOf(kActive), kUnknown);
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  EXPECT_TRUE(c.Set(kActive, kTrue, "ScalerActive", "m", t0));
  EXPECT_EQ(c.Find(kActive)->last_transition_time, "2026-01-01T00:00:00Z");
  EXPECT_FALSE(c.Set(kActive, kTrue, "ScalerActive", "m", t0 + absl::Hours(1)));
  EXPECT_TRUE(c.Set(kActive, kTrue, "ScalerActive", "m2", t0 + absl::Hours(1)));
  EXPECT_EQ(c.Find(kActive)->last_transition_time, "2026-01-01T00:00:00Z");

  Conditions round = Conditions::FromJson(c.ToJson());
  EXPECT_TRUE(round.SameAs(c));
  EXPECT_TRUE(round.initialised());
  Conditions partial = Conditions::FromJson(
      Json::parse(R"([{"type": "Ready", "status": "True"}])"));
  EXPECT_FALSE(partial.initialised());
  EXPECT_EQ(partial.all().size(), 4u);
  EXPECT_FALSE(Conditions::FromJson(nullptr).initialised());
}

}  // namespace
}  // namespace ebb::executors::kubernetes::cluster
