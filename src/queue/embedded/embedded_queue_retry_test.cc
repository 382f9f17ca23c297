// SPDX-License-Identifier: Apache-2.0
// EmbeddedQueue: delayed publishes (retries with backoff), the delivery count
// of redeliveries and what the queue's own dead-lettering records.
#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"

namespace ebb::queue::embedded {
namespace {

using ::ebb::testing::MakeTempDir;

class EmbeddedQueueRetryTest : public ::testing::Test {
 protected:
  std::unique_ptr<EmbeddedQueue> OpenQueue(Clock* clock,
                                           int max_deliveries = 5) {
    EmbeddedQueueOptions o;
    o.path = MakeTempDir("eq-retry") + "/queue.db";
    o.clock = clock;
    o.max_deliveries = max_deliveries;
    o.default_lease = absl::Seconds(30);
    auto q = EmbeddedQueue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return std::move(*q);
  }
  static OutgoingMessage Msg(const std::string& body,
                             absl::Duration delay = absl::ZeroDuration()) {
    OutgoingMessage m;
    m.body = body;
    m.delay = delay;
    return m;
  }
};

TEST_F(EmbeddedQueueRetryTest, DelayedMessageIsNeitherTakenNorCountedUntilDue) {
  FakeClock clock;
  auto q = OpenQueue(&clock);
  ASSERT_TRUE(
      q->Publish("tasks", Msg(R"({"id":"d1"})", absl::Seconds(5))).ok());
  ASSERT_TRUE(q->Publish("tasks", Msg(R"({"id":"d2"})")).ok());
  auto first = q->Take("tasks", absl::ZeroDuration());
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->body, R"({"id":"d2"})") << "the delayed one waits";
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Depth("tasks")->ready, 0);
  EXPECT_EQ(q->Depths("tasks")->delayed, 1);
  EXPECT_EQ(q->Request("d1")->state, RequestState::kQueued);

  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(q->Depth("tasks")->ready, 1);
  EXPECT_EQ(q->Depths("tasks")->delayed, 0);
  auto later = q->Take("tasks", absl::ZeroDuration());
  ASSERT_TRUE(later.ok() && later->has_value());
  EXPECT_EQ((*later)->body, R"({"id":"d1"})");
  EXPECT_FALSE((*later)->redelivered);
}

TEST_F(EmbeddedQueueRetryTest, WaitingTakeWakesWhenADelayedMessageIsDue) {
  auto q = OpenQueue(Clock::Real());
  ASSERT_TRUE(
      q->Publish("tasks", Msg(R"({"id":"w1"})", absl::Milliseconds(300))).ok());
  const absl::Time start = absl::Now();
  auto got = q->Take("tasks", absl::Seconds(30));
  ASSERT_TRUE(got.ok() && got->has_value());
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(250));
  EXPECT_LT(waited, absl::Seconds(25))
      << "woke at the due time, not the deadline";
}

TEST_F(EmbeddedQueueRetryTest, RedeliveryCarriesTheDeliveryCount) {
  FakeClock clock;
  auto q = OpenQueue(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg(R"({"id":"c1"})")).ok());
  auto d = q->Take("tasks", absl::ZeroDuration(), absl::Seconds(1));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->headers.count(kHeaderDeliveryCount), 0u);
  clock.Advance(absl::Seconds(2));
  d = q->Take("tasks", absl::ZeroDuration(), absl::Seconds(1));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_TRUE((*d)->redelivered);
  EXPECT_EQ((*d)->headers[kHeaderDeliveryCount], "1");
  clock.Advance(absl::Seconds(2));
  d = q->Take("tasks", absl::ZeroDuration(), absl::Seconds(1));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->headers[kHeaderDeliveryCount], "2");
}

TEST_F(EmbeddedQueueRetryTest,
       QueueDeadLetterOfAnIdlessMessageHasIdAndAttempts) {
  FakeClock clock;
  auto q = OpenQueue(&clock, /*max_deliveries=*/2);
  OutgoingMessage m = Msg("not json");
  m.headers[kHeaderAttempt] = "1";
  ASSERT_TRUE(q->Publish("tasks", m).ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        q->Take("tasks", absl::ZeroDuration(), absl::Seconds(1))->has_value());
    clock.Advance(absl::Seconds(2));
  }
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  auto dead = ListDeadLetters(*q, "tasks.dead", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, DerivedMessageId("not json"));
  EXPECT_EQ((*dead)[0].attempt, 3);  // 1 before + 2 deliveries without ack
  auto r = q->Request(DerivedMessageId("not json"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, RequestState::kFailed);
  EXPECT_EQ(*DiscardDeadLetters(*q, "tasks.dead", {(*dead)[0].id}), 1);
  EXPECT_TRUE(ListDeadLetters(*q, "tasks.dead", 10)->empty());
}

}  // namespace
}  // namespace ebb::queue::embedded
