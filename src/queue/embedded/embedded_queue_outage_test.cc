// SPDX-License-Identifier: Apache-2.0
// What a worker that outlived an outage of `ebb up` finds when it comes back:
// its lease kept through the restart, and an ack that settles its message
// exactly once whatever happened meanwhile.
#include <gtest/gtest.h>

#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"

namespace ebb::queue::embedded {
namespace {

class EmbeddedQueueOutageTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = testing::MakeTempDir("eqo") + "/queue.db"; }

  std::unique_ptr<EmbeddedQueue> Open(Clock* clock) {
    EmbeddedQueueOptions o;
    o.path = path_;
    o.clock = clock;
    o.restart_lease_grace = absl::Seconds(60);
    auto q = EmbeddedQueue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }

  static OutgoingMessage Msg(const std::string& id) {
    OutgoingMessage m;
    m.body = "{\"prompt\":\"p\",\"id\":\"" + id + "\"}";
    return m;
  }

  static Delivery MustTake(EmbeddedQueue& q, absl::Duration lease) {
    auto d = q.Take("tasks", absl::ZeroDuration(), lease);
    EXPECT_TRUE(d.ok() && d->has_value());
    return d.ok() ? d->value_or(Delivery{}) : Delivery{};
  }

  std::string path_;
};

TEST_F(EmbeddedQueueOutageTest, ReopenGivesHeldLeasesAGraceToBeRenewed) {
  FakeClock clock;
  Delivery held;
  {
    auto q = Open(&clock);
    ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
    held = MustTake(*q, absl::Seconds(30));
  }
  // `ebb up` was down for five minutes: the lease ran out meanwhile.
  clock.Advance(absl::Minutes(5));
  auto q = Open(&clock);
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Depths("tasks")->leased, 1);
  EXPECT_EQ(*q->ReapExpiredLeases(), 0);
  clock.Advance(absl::Seconds(50));
  ASSERT_TRUE(q->Extend(held.delivery_tag, absl::Seconds(30)).ok());
  clock.Advance(absl::Seconds(20));  // past the grace, within the renewal
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_TRUE(q->Ack(held).ok());
  EXPECT_EQ(q->Request("r1")->state, RequestState::kDone);
}

TEST_F(EmbeddedQueueOutageTest, HolderThatDiedIsRedeliveredAfterTheGrace) {
  FakeClock clock;
  {
    auto q = Open(&clock);
    ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
    MustTake(*q, absl::Seconds(30));
  }
  clock.Advance(absl::Minutes(5));
  auto q = Open(&clock);
  clock.Advance(absl::Seconds(61));
  Delivery again = MustTake(*q, absl::Seconds(30));
  EXPECT_TRUE(again.redelivered);
}

TEST_F(EmbeddedQueueOutageTest, RepeatedAckIsAnsweredOk) {
  FakeClock clock;
  auto q = Open(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery d = MustTake(*q, absl::Seconds(30));
  ASSERT_TRUE(q->Ack(d).ok());
  EXPECT_TRUE(q->Ack(d).ok());  // a retry whose first answer was lost
  EXPECT_EQ(q->Nack(d, true).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(q->Depths("tasks")->ready, 0);
  Delivery bogus;
  bogus.delivery_tag = 12345;
  EXPECT_EQ(q->Ack(bogus).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EmbeddedQueueOutageTest, LateAckSettlesAnExpiredLeaseNobodyRetook) {
  FakeClock clock;
  auto q = Open(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery d = MustTake(*q, absl::Seconds(10));
  clock.Advance(absl::Seconds(11));
  // This call or the queue's own reaper thread (it reads the same clock)
  // expires the lease: either way the message is ready again.
  ASSERT_TRUE(q->ReapExpiredLeases().ok());
  EXPECT_EQ(q->Depths("tasks")->ready, 1);
  ASSERT_TRUE(q->Ack(d).ok());
  EXPECT_EQ(q->Depths("tasks")->ready, 0);
  EXPECT_FALSE(q->Take("tasks", absl::ZeroDuration())->has_value());
  EXPECT_EQ(q->Request("r1")->state, RequestState::kDone);
}

TEST_F(EmbeddedQueueOutageTest, LateAckOfAMessageTakenAgainIsRefused) {
  FakeClock clock;
  auto q = Open(&clock);
  ASSERT_TRUE(q->Publish("tasks", Msg("r1")).ok());
  Delivery first = MustTake(*q, absl::Seconds(10));
  clock.Advance(absl::Seconds(11));
  Delivery second = MustTake(*q, absl::Seconds(10));
  EXPECT_EQ(q->Ack(first).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(q->Depths("tasks")->leased, 1);
  EXPECT_TRUE(q->Ack(second).ok());
}

}  // namespace
}  // namespace ebb::queue::embedded
