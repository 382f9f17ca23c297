// SPDX-License-Identifier: Apache-2.0
#include "queue/embedded/embedded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "queue/dead_letters.h"
#include "tests/harness/harness.h"

namespace ebb::queue::embedded {
namespace {

using ::ebb::testing::MakeTempDir;

class EmbeddedQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("eq"); }

  std::unique_ptr<EmbeddedQueue> OpenQueue(Clock* clock = Clock::Real(),
                                           int max_deliveries = 5) {
    EmbeddedQueueOptions o;
    o.path = dir_ + "/queue.db";
    o.clock = clock;
    o.max_deliveries = max_deliveries;
    o.default_lease = absl::Seconds(30);
    auto q = EmbeddedQueue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return std::move(*q);
  }

  static OutgoingMessage Msg(const std::string& id) {
    OutgoingMessage m;
    m.body = "{\"prompt\":\"p\",\"id\":\"" + id + "\"}";
    m.headers["x-ebb-enqueued-at-ms"] = "123";
    return m;
  }

  static Delivery MustTake(EmbeddedQueue& q, const std::string& queue,
                           absl::Duration lease = absl::Seconds(30)) {
    auto d = q.Take(queue, absl::ZeroDuration(), lease);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(d->has_value());
    return d->value_or(Delivery{});
  }

  std::string dir_;
};

TEST_F(EmbeddedQueueTest, PublishedMessageIsTakenWithHeadersAndId) {
  auto q = OpenQueue();
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery d = MustTake(*q, "tasks");
  EXPECT_NE(d.delivery_tag, 0u);
  EXPECT_LT(d.delivery_tag, uint64_t{1} << 63);
  EXPECT_EQ(d.queue, "tasks");
  EXPECT_EQ(d.body, Msg("r1").body);
  EXPECT_EQ(d.headers["x-ebb-enqueued-at-ms"], "123");
  EXPECT_FALSE(d.redelivered);
  EXPECT_TRUE(q->Ack(d).ok());
  auto none = q->Take("tasks", absl::ZeroDuration());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(EmbeddedQueueTest, BinaryBodySurvivesTheRoundTrip) {
  auto q = OpenQueue();
  OutgoingMessage m;
  m.body = std::string("\xff\x00\xfe bytes", 9);
  m.message_id = "bin";
  ASSERT_TRUE(q->Publish("tasks", m).ok());
  Delivery d = MustTake(*q, "tasks");
  EXPECT_EQ(d.body, m.body);
  EXPECT_EQ(d.message_id, "bin");
}

TEST_F(EmbeddedQueueTest, TakeWaitsForAPublishFromAnotherThread) {
  auto q = OpenQueue();
  std::thread producer([&] {
    // Publish only once the taker is waiting (it counts as a consumer).
    while (q->Depth("tasks").ok() && q->Depth("tasks")->consumers == 0) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(q->Publish("tasks", Msg("late")).ok());
  });
  auto d = q->Take("tasks", absl::Seconds(20));
  producer.join();
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, Msg("late").body);
}

TEST_F(EmbeddedQueueTest, ExpiredLeaseIsRedeliveredAndOldTagRejected) {
  FakeClock clock;
  auto q = OpenQueue(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery first = MustTake(*q, "tasks", absl::Seconds(10));
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Depths("tasks")->leased, 1);

  clock.Advance(absl::Seconds(11));
  EXPECT_EQ(q->Depth("tasks")->ready, 1);  // expired counts as ready
  Delivery second = MustTake(*q, "tasks");
  EXPECT_TRUE(second.redelivered);
  EXPECT_NE(second.delivery_tag, first.delivery_tag);
  EXPECT_EQ(q->Ack(first).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(q->Ack(second).ok());
}

TEST_F(EmbeddedQueueTest, ReapWakesAWaitingTakerAndEmitsExpired) {
  FakeClock clock;
  auto q = OpenQueue(&clock);
  std::mutex mu;
  std::vector<QueueEvent::Kind> kinds;
  q->SetListener([&](const QueueEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    kinds.push_back(e.kind);
  });
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  MustTake(*q, "tasks", absl::Seconds(5));
  std::thread taker([&] {
    auto d = q->Take("tasks", absl::Seconds(30));
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->has_value());
    EXPECT_TRUE((*d)->redelivered);
  });
  while (q->Depth("tasks")->consumers == 0) std::this_thread::yield();
  clock.Advance(absl::Seconds(6));
  // This call or the queue's reaper thread (same clock) expires the lease.
  ASSERT_TRUE(q->ReapExpiredLeases().ok());
  taker.join();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), QueueEvent::Kind::kExpired),
            kinds.end());
}

TEST_F(EmbeddedQueueTest, RealLeaseExpiryWakesTakerThroughTheTimer) {
  auto q = OpenQueue();
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  MustTake(*q, "tasks", absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  auto d = q->Take("tasks", absl::Seconds(20));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_TRUE((*d)->redelivered);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(EmbeddedQueueTest, ExtendKeepsTheLease) {
  FakeClock clock;
  auto q = OpenQueue(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery d = MustTake(*q, "tasks", absl::Seconds(10));
  clock.Advance(absl::Seconds(8));
  ASSERT_TRUE(q->Extend(d.delivery_tag, absl::Seconds(10)).ok());
  clock.Advance(absl::Seconds(8));
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_TRUE(q->Ack(d).ok());
  EXPECT_EQ(q->Extend(d.delivery_tag, absl::Seconds(1)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(EmbeddedQueueTest, NackWithRequeueRedeliversInOrder) {
  auto q = OpenQueue();
  ASSERT_TRUE(q->Publish("tasks", Msg("a")).ok());
  ASSERT_TRUE(q->Publish("tasks", Msg("b")).ok());
  Delivery a = MustTake(*q, "tasks");
  ASSERT_TRUE(q->Nack(a, true).ok());
  Delivery again = MustTake(*q, "tasks");
  EXPECT_EQ(again.body, Msg("a").body);
  EXPECT_TRUE(again.redelivered);
  EXPECT_EQ(q->Nack(a, true).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EmbeddedQueueTest, NackWithoutRequeueDeadLettersWithReason) {
  auto q = OpenQueue();
  ASSERT_TRUE(q->Publish("tasks", Msg("a")).ok());
  ASSERT_TRUE(q->Nack(MustTake(*q, "tasks"), false).ok());
  EXPECT_EQ(q->Depths("tasks")->dead, 1);
  EXPECT_EQ(q->Depth("tasks")->ready, 0);
  auto dead = ListDeadLetters(*q, "tasks.dead", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, "a");
  EXPECT_EQ((*dead)[0].original_queue, "tasks");
  EXPECT_NE((*dead)[0].reason.find("nack"), std::string::npos);
  EXPECT_EQ(q->Request("a")->state, RequestState::kFailed);
}

TEST_F(EmbeddedQueueTest, DeadLetteredAfterMaxDeliveries) {
  FakeClock clock;
  auto q = OpenQueue(&clock, /*max_deliveries=*/2);
  ASSERT_TRUE(q->Publish("tasks", Msg("a")).ok());
  for (int i = 0; i < 2; ++i) {
    MustTake(*q, "tasks", absl::Seconds(1));
    clock.Advance(absl::Seconds(2));
  }
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  auto dead = q->Browse("tasks.dead", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].headers[kHeaderDeadReason],
            "delivered 2 times without ack (worker died?)");
  auto r = q->Request("a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, RequestState::kFailed);
  EXPECT_EQ(r->error, "delivered 2 times without ack (worker died?)");
}

TEST_F(EmbeddedQueueTest, DepthCountsReadyOnlyAndMissingQueueIsNotFound) {
  auto q = OpenQueue();
  EXPECT_EQ(q->Depth("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(q->Browse("nope", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(q->Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(q->Depths("nope")->ready, 0);
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(q->Publish("tasks", Msg(id)).ok());
  }
  MustTake(*q, "tasks");
  EXPECT_EQ(q->Depth("tasks")->ready, 2);
  DetailedDepth d = *q->Depths("tasks");
  EXPECT_EQ(d.ready, 2);
  EXPECT_EQ(d.leased, 1);
  EXPECT_EQ(d.dead, 0);
  EXPECT_EQ(q->Browse("tasks", 10)->size(), 2u);  // non-destructive
  EXPECT_EQ(q->Depth("tasks")->ready, 2);
}

TEST_F(EmbeddedQueueTest, DeadLetterHelpersWorkUnchanged) {
  auto q = OpenQueue();
  ASSERT_TRUE(q->Publish("tasks", Msg("a")).ok());
  ASSERT_TRUE(q->Publish("tasks", Msg("b")).ok());
  ASSERT_TRUE(DeadLetter(*q, MustTake(*q, "tasks"), "tasks.dead", "bad").ok());
  ASSERT_TRUE(DeadLetter(*q, MustTake(*q, "tasks"), "tasks.dead", "bad").ok());
  auto listed = ListDeadLetters(*q, "tasks.dead", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(q->Request("b")->state, RequestState::kFailed);
  auto replayed = ReplayDeadLetters(*q, "tasks.dead", {"b"});
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(*replayed, 1);
  EXPECT_EQ(q->Depths("tasks")->dead, 1);
  Delivery b = MustTake(*q, "tasks");
  EXPECT_EQ(b.body, Msg("b").body);
  EXPECT_EQ(b.headers[kHeaderAttempt], "0");
  EXPECT_EQ(q->Request("b")->state, RequestState::kRunning);
}

TEST_F(EmbeddedQueueTest, RequestStatusFollowsTheMessage) {
  auto q = OpenQueue();
  EXPECT_EQ(q->Request("x").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(q->Publish("tasks", Msg("x")).ok());
  ASSERT_TRUE(q->Publish("tasks", Msg("y")).ok());
  EXPECT_EQ(q->Request("x")->state, RequestState::kQueued);
  Delivery d = MustTake(*q, "tasks");
  auto running = q->Request("x");
  EXPECT_EQ(running->state, RequestState::kRunning);
  EXPECT_EQ(running->deliveries, 1);
  EXPECT_EQ(running->queue, "tasks");
  ASSERT_TRUE(q->Ack(d).ok());
  EXPECT_EQ(q->Request("x")->state, RequestState::kDone);

  auto all = q->Requests(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "y");  // newest first
  auto done = q->Requests(RequestState::kDone, 10);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].id, "x");
  EXPECT_EQ(q->Requests(RequestState::kQueued, 10)->size(), 1u);
  EXPECT_EQ(q->Requests(std::nullopt, 1)->size(), 1u);
}

TEST_F(EmbeddedQueueTest, AckedRowsArePrunedAfterRetention) {
  FakeClock clock;
  {
    auto q = OpenQueue(&clock);
    ASSERT_TRUE(q->Publish("tasks", Msg("old")).ok());
    ASSERT_TRUE(q->Ack(MustTake(*q, "tasks")).ok());
  }
  clock.Advance(absl::Hours(24 * 8));
  auto q = OpenQueue(&clock);
  EXPECT_EQ(q->Request("old").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EmbeddedQueueTest, MessagesSurviveReopen) {
  {
    auto q = OpenQueue();
    ASSERT_TRUE(q->Publish("tasks", Msg("keep")).ok());
  }
  auto q = OpenQueue();
  EXPECT_EQ(MustTake(*q, "tasks").body, Msg("keep").body);
}

TEST_F(EmbeddedQueueTest, ConcurrentTakersNeverGetTheSameMessage) {
  auto q = OpenQueue();
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(q->Publish("tasks", Msg("m" + std::to_string(i))).ok());
  }
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> errors{0};
  std::vector<std::thread> takers;
  for (int t = 0; t < 4; ++t) {
    takers.emplace_back([&] {
      while (true) {
        auto d = q->Take("tasks", absl::ZeroDuration());
        if (!d.ok()) {
          ++errors;
          return;
        }
        if (!d->has_value()) return;
        {
          std::lock_guard<std::mutex> lock(mu);
          seen.insert((*d)->body);
        }
        if (!q->Ack(**d).ok()) ++errors;
      }
    });
  }
  for (auto& t : takers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(),
            static_cast<size_t>(kMessages));
}

}  // namespace
}  // namespace ebb::queue::embedded
