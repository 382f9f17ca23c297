// SPDX-License-Identifier: Apache-2.0
//
// `ebb dlq list|discard|purge` against the run's real RabbitMQ (--amqp-url):
// dead letters removed for good, by id (an id-less message's derived id too)
// or all at once behind --yes.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "queue/dead_letters.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace ebb {
namespace {

using ::ebb::testing::EbbBinary;
using ::ebb::testing::RunCommand;
using ::ebb::testing::TestAmqpUrl;
using ::ebb::testing::UniqueName;

class DlqCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    queue_ = UniqueName("dlqcli");
    queue::RabbitMqOptions o;
    o.url = TestAmqpUrl();
    auto mq = queue::RabbitMqQueue::Connect(o);
    ASSERT_TRUE(mq.ok()) << mq.status();
    mq_ = std::move(*mq);
  }

  // Dead-letters a message with `body` (and `id` as message_id, if any).
  void DeadLetter(const std::string& body, const std::string& id) {
    queue::OutgoingMessage m;
    m.body = body;
    m.message_id = id;
    ASSERT_TRUE(mq_->Publish(queue_, m).ok());
    auto d = mq_->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value());
    ASSERT_TRUE(
        queue::DeadLetter(*mq_, **d, queue::DeadLetterQueueName(queue_), "boom")
            .ok());
  }

  int Dlq(std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = {EbbBinary(), "dlq"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--amqp-url", TestAmqpUrl(), "--queue", queue_});
    return RunCommand(argv, out);
  }

  int64_t DeadCount() {
    auto d = mq_->Depth(queue::DeadLetterQueueName(queue_));
    return d.ok() ? d->ready : -1;
  }

  std::string queue_;
  std::unique_ptr<queue::RabbitMqQueue> mq_;
};

TEST_F(DlqCliTest, DiscardRemovesTheGivenIdsIncludingADerivedOne) {
  DeadLetter(R"({"prompt":"p","id":"r1"})", "r1");
  DeadLetter(R"({"prompt":"p","id":"r2"})", "r2");
  DeadLetter("not json, no id", "");
  const std::string derived = queue::DerivedMessageId("not json, no id");
  std::string out;
  ASSERT_EQ(Dlq({"list"}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, derived)) << out;
  ASSERT_EQ(Dlq({"discard", "r2", derived}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "discarded 2 dead letter(s)")) << out;
  EXPECT_EQ(DeadCount(), 1);
  EXPECT_EQ(mq_->Depth(queue_)->ready, 0) << "discarded, not replayed";
  // An id that is not there: exit 1, nothing else removed.
  EXPECT_EQ(Dlq({"discard", "nope"}, &out), 1) << out;
  EXPECT_EQ(DeadCount(), 1);
  EXPECT_EQ(Dlq({"discard"}, &out), 2) << "ids are required: " << out;
}

TEST_F(DlqCliTest, PurgeCountsWithoutYesAndRemovesAllWithIt) {
  DeadLetter(R"({"prompt":"p","id":"a"})", "a");
  DeadLetter(R"({"prompt":"p","id":"b"})", "b");
  std::string out;
  EXPECT_EQ(Dlq({"purge"}, &out), 2) << out;
  EXPECT_TRUE(absl::StrContains(out, "2 dead letter(s) would be removed"))
      << out;
  EXPECT_EQ(DeadCount(), 2) << "nothing removed without --yes";
  ASSERT_EQ(Dlq({"purge", "--yes"}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "purged 2 dead letter(s)")) << out;
  EXPECT_EQ(DeadCount(), 0);
}

}  // namespace
}  // namespace ebb
