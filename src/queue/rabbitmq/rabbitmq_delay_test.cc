// SPDX-License-Identifier: Apache-2.0
//
// Integration tests of RabbitMqQueue's delayed publish (a retry with backoff)
// against a real broker on loopback (tests/harness).
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace ebb::queue {
namespace {

std::unique_ptr<RabbitMqQueue> MustConnect() {
  RabbitMqOptions options;
  options.url = ebb::testing::TestAmqpUrl();
  options.connection_name = "ebb-delay-test";
  auto mq = RabbitMqQueue::Connect(options);
  EXPECT_TRUE(mq.ok()) << mq.status();
  return mq.ok() ? std::move(*mq) : nullptr;
}

TEST(RabbitMqDelayTest, DelayedMessageComesBackToItsQueueAfterTheDelay) {
  auto mq = MustConnect();
  ASSERT_NE(mq, nullptr);
  const std::string queue = ebb::testing::UniqueName("delay");
  OutgoingMessage m;
  m.body = R"({"prompt":"p","id":"late"})";
  m.message_id = "late";
  m.headers[kHeaderAttempt] = "2";
  m.delay = absl::Seconds(2);
  const absl::Time published = absl::Now();
  ASSERT_TRUE(mq->Publish(queue, m).ok());
  // Parked in its delay queue: the work queue (what the scaler reads) is
  // empty meanwhile.
  auto parked = mq->Depth(queue + ".delay.2000");
  ASSERT_TRUE(parked.ok()) << parked.status();
  EXPECT_EQ(mq->Depth(queue)->ready, 0);

  auto d = mq->Take(queue, absl::Seconds(30));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(d->has_value()) << "never came back";
  EXPECT_GE(absl::Now() - published, absl::Milliseconds(1900));
  EXPECT_EQ((*d)->body, m.body);
  EXPECT_EQ((*d)->message_id, "late");
  EXPECT_EQ((*d)->headers[kHeaderAttempt], "2");
  EXPECT_FALSE((*d)->redelivered);
  EXPECT_TRUE(mq->Ack(**d).ok());
}

TEST(RabbitMqDelayTest, EqualDelaysShareOneDelayQueue) {
  auto mq = MustConnect();
  ASSERT_NE(mq, nullptr);
  const std::string queue = ebb::testing::UniqueName("delay2");
  OutgoingMessage m;
  m.body = "x";
  m.delay = absl::Seconds(60);
  ASSERT_TRUE(mq->Publish(queue, m).ok());
  ASSERT_TRUE(mq->Publish(queue, m).ok());  // the redeclare is accepted
  auto parked = mq->Depth(queue + ".delay.60000");
  ASSERT_TRUE(parked.ok()) << parked.status();
  EXPECT_EQ(parked->ready, 2);
}

}  // namespace
}  // namespace ebb::queue
