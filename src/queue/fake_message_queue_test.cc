// SPDX-License-Identifier: Apache-2.0
#include "queue/fake_message_queue.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace ebb::queue {
namespace {

OutgoingMessage Msg(const std::string& body, const std::string& id = "") {
  OutgoingMessage m;
  m.body = body;
  m.message_id = id;
  return m;
}

TEST(FakeMessageQueueTest, PublishDeclaresMissingQueueDurableAndCounts) {
  FakeMessageQueue mq;
  EXPECT_TRUE(absl::IsNotFound(mq.Depth("q").status()));
  ASSERT_TRUE(mq.Publish("q", Msg("a")).ok());
  ASSERT_TRUE(mq.Publish("q", Msg("b")).ok());
  EXPECT_TRUE(mq.IsDurable("q"));
  auto depth = mq.Depth("q");
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(depth->ready, 2);
  EXPECT_EQ(depth->consumers, 0);
  EXPECT_EQ(mq.PublishedCount("q"), 2);
}

TEST(FakeMessageQueueTest, ExistingNonDurableQueueIsKept) {
  FakeMessageQueue mq;
  mq.DeclareQueue("tasks", /*durable=*/false);
  ASSERT_TRUE(mq.Publish("tasks", Msg("a")).ok());
  EXPECT_FALSE(mq.IsDurable("tasks"));
}

TEST(FakeMessageQueueTest, TakeReturnsInOrderWithHeadersAndAckForgets) {
  FakeMessageQueue mq;
  OutgoingMessage m = Msg("a", "id-1");
  m.headers[kHeaderAttempt] = "2";
  ASSERT_TRUE(mq.Publish("q", m).ok());
  ASSERT_TRUE(mq.Publish("q", Msg("b")).ok());
  auto d = mq.Take("q", absl::ZeroDuration());
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, "a");
  EXPECT_EQ((*d)->message_id, "id-1");
  EXPECT_EQ((*d)->queue, "q");
  EXPECT_EQ((*d)->headers.at(kHeaderAttempt), "2");
  EXPECT_FALSE((*d)->redelivered);
  EXPECT_NE((*d)->delivery_tag, 0u);
  EXPECT_EQ(mq.ReadyCount("q"), 1);
  EXPECT_EQ(mq.UnackedCount("q"), 1);
  EXPECT_EQ(mq.Depth("q")->consumers, 1);
  ASSERT_TRUE(mq.Ack(**d).ok());
  EXPECT_EQ(mq.UnackedCount("q"), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(mq.Ack(**d)));
}

TEST(FakeMessageQueueTest, TakeTimesOutWithNullopt) {
  FakeMessageQueue mq;
  auto d = mq.Take("empty", absl::Milliseconds(10));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
  EXPECT_TRUE(mq.QueueExists("empty"));  // Take declares it
}

TEST(FakeMessageQueueTest, TakeWakesOnPublishFromAnotherThread) {
  FakeMessageQueue mq;
  absl::Notification taking;
  std::thread producer([&] {
    taking.WaitForNotification();
    ASSERT_TRUE(mq.Publish("q", Msg("late")).ok());
  });
  taking.Notify();
  auto d = mq.Take("q", absl::Seconds(30));
  producer.join();
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, "late");
}

TEST(FakeMessageQueueTest, NackRequeueRedeliversAtHead) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("q", Msg("a")).ok());
  ASSERT_TRUE(mq.Publish("q", Msg("b")).ok());
  auto d = mq.Take("q", absl::ZeroDuration());
  ASSERT_TRUE(mq.Nack(**d, /*requeue=*/true).ok());
  auto again = mq.Take("q", absl::ZeroDuration());
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->body, "a");
  EXPECT_TRUE((*again)->redelivered);
  EXPECT_NE((*again)->delivery_tag, (*d)->delivery_tag);
}

TEST(FakeMessageQueueTest, NackWithoutRequeueDrops) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("q", Msg("a")).ok());
  auto d = mq.Get("q");
  ASSERT_TRUE(mq.Nack(**d, /*requeue=*/false).ok());
  EXPECT_EQ(mq.ReadyCount("q"), 0);
  EXPECT_EQ(mq.UnackedCount("q"), 0);
}

TEST(FakeMessageQueueTest, ConnectionLossRedeliversUnackedInOrder) {
  FakeMessageQueue mq;
  for (const char* b : {"a", "b", "c"})
    ASSERT_TRUE(mq.Publish("q", Msg(b)).ok());
  auto a = mq.Get("q");
  auto b = mq.Take("q", absl::ZeroDuration());
  mq.SimulateConnectionLoss();
  EXPECT_TRUE(absl::IsFailedPrecondition(mq.Ack(**a)));
  auto ready = mq.ReadyMessages("q");
  ASSERT_EQ(ready.size(), 3u);
  EXPECT_EQ(ready[0].body, "a");
  EXPECT_TRUE(ready[0].redelivered);
  EXPECT_EQ(ready[1].body, "b");
  EXPECT_TRUE(ready[1].redelivered);
  EXPECT_EQ(ready[2].body, "c");
  EXPECT_FALSE(ready[2].redelivered);
}

TEST(FakeMessageQueueTest, BrowseLeavesQueueIntact) {
  FakeMessageQueue mq;
  for (const char* b : {"a", "b", "c"})
    ASSERT_TRUE(mq.Publish("q", Msg(b)).ok());
  auto browsed = mq.Browse("q", 2);
  ASSERT_TRUE(browsed.ok());
  ASSERT_EQ(browsed->size(), 2u);
  EXPECT_EQ((*browsed)[0].body, "a");
  EXPECT_EQ((*browsed)[1].body, "b");
  EXPECT_EQ(mq.ReadyCount("q"), 3);
  EXPECT_TRUE(absl::IsNotFound(mq.Browse("nope", 1).status()));
}

TEST(FakeMessageQueueTest, GetOnEmptyAndMissingQueue) {
  FakeMessageQueue mq;
  EXPECT_TRUE(absl::IsNotFound(mq.Get("nope").status()));
  mq.DeclareQueue("q");
  auto got = mq.Get("q");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST(FakeMessageQueueTest, FailNextPublishFailsOnceWithoutSideEffects) {
  FakeMessageQueue mq;
  mq.FailNextPublish();
  EXPECT_TRUE(absl::IsUnavailable(mq.Publish("q", Msg("a"))));
  EXPECT_FALSE(mq.QueueExists("q"));
  EXPECT_TRUE(mq.Publish("q", Msg("a")).ok());
  EXPECT_EQ(mq.ReadyCount("q"), 1);
}

TEST(FakeMessageQueueTest, FailNextInjectsPerOperation) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("q", Msg("a")).ok());
  mq.FailNext(FakeMessageQueue::Op::kAck, absl::InternalError("boom"), 2);
  auto d = mq.Get("q");
  EXPECT_TRUE(absl::IsInternal(mq.Ack(**d)));
  EXPECT_TRUE(absl::IsInternal(mq.Ack(**d)));
  EXPECT_TRUE(mq.Ack(**d).ok());
}

TEST(FakeMessageQueueTest, UnavailableFailsEverythingAndWakesTake) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("q", Msg("a")).ok());
  mq.SetUnavailable(true);
  EXPECT_TRUE(absl::IsUnavailable(mq.Publish("q", Msg("b"))));
  EXPECT_TRUE(absl::IsUnavailable(mq.Take("q", absl::ZeroDuration()).status()));
  EXPECT_TRUE(absl::IsUnavailable(mq.Depth("q").status()));
  mq.SetUnavailable(false);
  EXPECT_EQ(mq.Depth("q")->ready, 1);

  absl::Notification taking;
  std::thread breaker([&] {
    taking.WaitForNotification();
    mq.SetUnavailable(true);
  });
  taking.Notify();
  auto d = mq.Take("other", absl::Seconds(30));
  breaker.join();
  EXPECT_TRUE(absl::IsUnavailable(d.status()));
}

}  // namespace
}  // namespace ebb::queue
