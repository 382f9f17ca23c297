// SPDX-License-Identifier: Apache-2.0
#include "http/results_watcher.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "http/api_test_fixture.h"
#include "queue/fake_message_queue.h"
#include "storage/testing/in_memory_object_store.h"

namespace ebb::http {
namespace {

std::string Done(const std::string& id, int images) {
  nlohmann::json keys = nlohmann::json::array();
  for (int i = 1; i <= images; ++i)
    keys.push_back(id + "-" + std::to_string(i) + ".png");
  return nlohmann::json{{"id", id},
                        {"status", "done"},
                        {"attempt", 1},
                        {"prompt", "a fox"},
                        {"images", keys}}
      .dump();
}

class ResultsWatcherTest : public ::testing::Test {
 protected:
  // Every event published since the last call.
  std::vector<Event> Drain() {
    auto events = hub_.WaitAfter(seen_, absl::ZeroDuration());
    if (!events.empty()) seen_ = events.back().seq;
    return events;
  }
  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(store_.Put(key, data, "").ok());
  }
  ResultsWatcherOptions QueueOptions() {
    ResultsWatcherOptions o;
    o.work_queue = "tasks";
    o.open_queue =
        [this]() -> absl::StatusOr<std::unique_ptr<queue::MessageQueue>> {
      return std::unique_ptr<queue::MessageQueue>(
          new testing::ForwardingQueue(broker_));
    };
    return o;
  }

  storage::InMemoryObjectStore store_;
  queue::FakeMessageQueue broker_;
  EventHub hub_;
  uint64_t seen_ = 0;
};

TEST_F(ResultsWatcherTest, RecordsPresentAtStartAreNotNews) {
  Put("old-1.png", "png");
  Put("old.json", Done("old", 1));
  ResultsWatcher w(store_, hub_, {});
  ASSERT_TRUE(w.PollOnce().ok());
  ASSERT_TRUE(w.PollOnce().ok());
  EXPECT_TRUE(Drain().empty());
}

TEST_F(ResultsWatcherTest, ANewDoneRecordGivesARequestAndAnImagesEvent) {
  ResultsWatcher w(store_, hub_, {});
  ASSERT_TRUE(w.PollOnce().ok());
  Put("r1-1.png", "png");
  Put("r1-2.png", "png");
  Put("r1.json", Done("r1", 2));
  ASSERT_TRUE(w.PollOnce().ok());
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "request");
  EXPECT_EQ(events[0].data,
            (nlohmann::json{{"id", "r1"}, {"status", "done"}, {"attempt", 1}}));
  EXPECT_EQ(events[1].type, "images");
  EXPECT_EQ(events[1].data["id"], "r1");
  EXPECT_EQ(
      events[1].data["images"],
      (nlohmann::json{"/api/v1/objects/r1-1.png", "/api/v1/objects/r1-2.png"}));
  // Nothing changed: nothing new.
  ASSERT_TRUE(w.PollOnce().ok());
  EXPECT_TRUE(Drain().empty());
}

TEST_F(ResultsWatcherTest, AFailedRecordGivesAFailedRequestEventWithItsError) {
  ResultsWatcher w(store_, hub_, {});
  ASSERT_TRUE(w.PollOnce().ok());
  Put("bad.json", R"({"id":"bad","status":"failed","attempt":5,)"
                  R"("error":"model refused the prompt"})");
  ASSERT_TRUE(w.PollOnce().ok());
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "request");
  EXPECT_EQ(events[0].data["status"], "failed");
  EXPECT_EQ(events[0].data["attempt"], 5);
  EXPECT_EQ(events[0].data["error"], "model refused the prompt");
}

TEST_F(ResultsWatcherTest, ImagesAreAnnouncedOnceAllAreListed) {
  ResultsWatcher w(store_, hub_, {});
  ASSERT_TRUE(w.PollOnce().ok());
  Put("r2.json", Done("r2", 1));  // the listing caught the record first
  ASSERT_TRUE(w.PollOnce().ok());
  auto first = Drain();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].type, "request");
  Put("r2-1.png", "png");
  ASSERT_TRUE(w.PollOnce().ok());
  auto second = Drain();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].type, "images");
}

TEST_F(ResultsWatcherTest, ARewrittenRecordIsNewsAgain) {
  ResultsWatcher w(store_, hub_, {});
  ASSERT_TRUE(w.PollOnce().ok());
  Put("r3.json", R"({"id":"r3","status":"failed","attempt":1})");
  ASSERT_TRUE(w.PollOnce().ok());
  Drain();
  Put("r3-1.png", "png");
  Put("r3.json", Done("r3", 1));  // a replayed dead letter succeeded
  ASSERT_TRUE(w.PollOnce().ok());
  auto events = Drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data["status"], "done");
}

TEST_F(ResultsWatcherTest, WithoutRequestEventsOnlyImagesArePublished) {
  ResultsWatcherOptions o;
  o.request_events = false;
  ResultsWatcher w(store_, hub_, o);
  ASSERT_TRUE(w.PollOnce().ok());
  Put("r4-1.png", "png");
  Put("r4.json", Done("r4", 1));
  ASSERT_TRUE(w.PollOnce().ok());
  auto events = Drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "images");
}

TEST_F(ResultsWatcherTest, QueueDepthAndDeadLettersArePublishedWhenTheyChange) {
  ResultsWatcher w(store_, hub_, QueueOptions());
  ASSERT_TRUE(w.PollOnce().ok());  // no queue yet: 0 and 0
  auto first = Drain();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].type, "queue");
  EXPECT_EQ(
      first[0].data,
      (nlohmann::json{
          {"queue", "tasks"}, {"ready", 0}, {"leased", nullptr}, {"dead", 0}}));
  queue::OutgoingMessage m;
  m.body = R"({"prompt":"x"})";
  ASSERT_TRUE(broker_.Publish("tasks", m).ok());
  ASSERT_TRUE(broker_.Publish("tasks", m).ok());
  ASSERT_TRUE(w.PollOnce().ok());
  auto second = Drain();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].data["ready"], 2);
  ASSERT_TRUE(w.PollOnce().ok());
  EXPECT_TRUE(Drain().empty());  // unchanged
  ASSERT_TRUE(broker_.Publish("tasks.dead", m).ok());
  ASSERT_TRUE(w.PollOnce().ok());
  auto third = Drain();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].data["dead"], 1);
  EXPECT_EQ(third[0].data["ready"], 2);
}

TEST_F(ResultsWatcherTest, TheThreadPublishesAfterAWake) {
  ResultsWatcherOptions o;
  o.interval = absl::Hours(1);  // only a Wake can make it poll
  ResultsWatcher w(store_, hub_, o);
  w.Start();
  Put("r5-1.png", "png");
  Put("r5.json", Done("r5", 1));
  w.Wake();
  std::vector<Event> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (got.size() < 2 && absl::Now() < deadline) {
    auto more =
        hub_.WaitAfter(got.empty() ? 0 : got.back().seq, absl::Seconds(1));
    got.insert(got.end(), more.begin(), more.end());
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].type, "images");
  w.Stop();
}

TEST(RequestEventFromRecordTest, NeedsAStatus) {
  EXPECT_FALSE(RequestEventFromRecord("x", "not json").has_value());
  EXPECT_FALSE(RequestEventFromRecord("x", R"({"id":"x"})").has_value());
  EXPECT_EQ(*RequestEventFromRecord("x", R"({"status":"done","error":null})"),
            (nlohmann::json{{"id", "x"}, {"status", "done"}}));
}

}  // namespace
}  // namespace ebb::http

namespace ebb::http {
namespace {

TEST(RecordPhaseMetricsTest, DoneRecordsFeedThePhaseHistogramsByModel) {
  metrics::Registry m;
  RecordPhaseMetrics(m, {{"status", "done"},
                         {"model", "sd-turbo"},
                         {"text_encode_ms", 40},
                         {"denoise_ms", 800},
                         {"decode_ms", nullptr},
                         {"inference_ms", 1300}});
  RecordPhaseMetrics(
      m, {{"status", "failed"}, {"model", "sd-turbo"}, {"text_encode_ms", 40}});
  const metrics::Labels l = {{"model", "sd-turbo"}};
  EXPECT_EQ(m.Count("ebb_worker_text_encode_seconds", l), 1u);
  EXPECT_EQ(m.Count("ebb_worker_denoise_seconds", l), 1u);
  EXPECT_EQ(m.Count("ebb_worker_decode_seconds", l), 0u);  // null: skipped
  EXPECT_EQ(m.Count("ebb_worker_inference_seconds", l), 1u);
  const std::string text = m.Exposition();
  EXPECT_NE(text.find("ebb_worker_denoise_seconds_sum{model=\"sd-turbo\"} 0.8"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE ebb_worker_decode_seconds histogram"),
            std::string::npos);
}

}  // namespace
}  // namespace ebb::http
