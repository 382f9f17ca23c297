// SPDX-License-Identifier: Apache-2.0
#include "queue/dead_letters.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "queue/fake_message_queue.h"

namespace ebb::queue {
namespace {

OutgoingMessage Task(const std::string& id, const std::string& attempt = "") {
  OutgoingMessage m;
  m.body = "{\"prompt\":\"p\",\"id\":\"" + id + "\"}";
  if (!attempt.empty()) m.headers[kHeaderAttempt] = attempt;
  m.headers["x-custom"] = "kept";
  return m;
}

// Takes one message of `queue` and dead-letters it with `reason`.
void TakeAndDeadLetter(FakeMessageQueue& mq, const std::string& queue,
                       const std::string& reason) {
  auto d = mq.Take(queue, absl::ZeroDuration());
  ASSERT_TRUE(d.ok() && d->has_value());
  ASSERT_TRUE(DeadLetter(mq, **d, DeadLetterQueueName(queue), reason).ok());
}

TEST(DeadLettersTest, QueueName) {
  EXPECT_EQ(DeadLetterQueueName("tasks"), "tasks.dead");
}

TEST(DeadLettersTest, RequestIdPrefersMessageIdThenBodyId) {
  EXPECT_EQ(MessageRequestId("m1", "{\"id\":\"b1\"}"), "m1");
  EXPECT_EQ(MessageRequestId("", "{\"id\":\"b1\"}"), "b1");
  EXPECT_EQ(MessageRequestId("", "not json"), "");
  EXPECT_EQ(MessageRequestId("", "[1]"), "");
  EXPECT_EQ(MessageRequestId("", "{\"id\":7}"), "");
}

TEST(DeadLettersTest, DeadLetterMovesCopyWithReasonAndAcksOriginal) {
  FakeMessageQueue mq;
  OutgoingMessage m = Task("r1", "4");
  m.message_id = "r1";
  ASSERT_TRUE(mq.Publish("tasks", m).ok());
  TakeAndDeadLetter(mq, "tasks", "backoffLimit 4 reached: boom");
  EXPECT_EQ(mq.ReadyCount("tasks"), 0);
  EXPECT_EQ(mq.UnackedCount("tasks"), 0);
  auto dead = mq.ReadyMessages("tasks.dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message_id, "r1");
  EXPECT_EQ(dead[0].body, m.body);
  EXPECT_EQ(dead[0].headers.at(kHeaderDeadReason),
            "backoffLimit 4 reached: boom");
  EXPECT_EQ(dead[0].headers.at(kHeaderOriginalQueue), "tasks");
  EXPECT_EQ(dead[0].headers.at(kHeaderAttempt), "4");
  EXPECT_EQ(dead[0].headers.at("x-custom"), "kept");
}

TEST(DeadLettersTest, FailedPublishLeavesOriginalUnacked) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("tasks", Task("r1")).ok());
  auto d = mq.Take("tasks", absl::ZeroDuration());
  mq.FailNextPublish();
  EXPECT_TRUE(absl::IsUnavailable(DeadLetter(mq, **d, "tasks.dead", "x")));
  EXPECT_EQ(mq.UnackedCount("tasks"), 1);
  EXPECT_FALSE(mq.QueueExists("tasks.dead"));
}

TEST(DeadLettersTest, ListReturnsEntriesAndLeavesThem) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("tasks", Task("r1", "3")).ok());
  ASSERT_TRUE(mq.Publish("tasks", Task("r2")).ok());
  TakeAndDeadLetter(mq, "tasks", "invalid JSON");
  TakeAndDeadLetter(mq, "tasks", "count out of range");
  auto entries = ListDeadLetters(mq, "tasks.dead", 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].id, "r1");
  EXPECT_EQ((*entries)[0].reason, "invalid JSON");
  EXPECT_EQ((*entries)[0].original_queue, "tasks");
  EXPECT_EQ((*entries)[0].attempt, 3);
  EXPECT_EQ((*entries)[1].id, "r2");
  EXPECT_EQ((*entries)[1].attempt, 0);
  EXPECT_EQ(mq.ReadyCount("tasks.dead"), 2);
  auto one = ListDeadLetters(mq, "tasks.dead", 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST(DeadLettersTest, ListOfMissingDeadQueueIsEmpty) {
  FakeMessageQueue mq;
  auto entries = ListDeadLetters(mq, "nope.dead", 10);
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
}

TEST(DeadLettersTest, ReplayAllResetsAttemptAndRemovesDeadHeaders) {
  FakeMessageQueue mq;
  ASSERT_TRUE(mq.Publish("tasks", Task("r1", "4")).ok());
  ASSERT_TRUE(mq.Publish("tasks", Task("r2", "4")).ok());
  TakeAndDeadLetter(mq, "tasks", "boom");
  TakeAndDeadLetter(mq, "tasks", "boom");
  auto n = ReplayDeadLetters(mq, "tasks.dead", {});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(mq.ReadyCount("tasks.dead"), 0);
  EXPECT_EQ(mq.UnackedCount("tasks.dead"), 0);
  auto back = mq.ReadyMessages("tasks");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(MessageRequestId(back[0].message_id, back[0].body), "r1");
  EXPECT_EQ(back[0].headers.at(kHeaderAttempt), "0");
  EXPECT_EQ(back[0].headers.count(kHeaderDeadReason), 0u);
  EXPECT_EQ(back[0].headers.count(kHeaderOriginalQueue), 0u);
  EXPECT_EQ(back[0].headers.at("x-custom"), "kept");
}

TEST(DeadLettersTest, ReplaySelectedLeavesOthersOnce) {
  FakeMessageQueue mq;
  for (const char* id : {"r1", "r2", "r3"}) {
    ASSERT_TRUE(mq.Publish("tasks", Task(id)).ok());
    TakeAndDeadLetter(mq, "tasks", "boom");
  }
  auto n = ReplayDeadLetters(mq, "tasks.dead", {"r2", "missing"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  auto back = mq.ReadyMessages("tasks");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(MessageRequestId("", back[0].body), "r2");
  auto left = ListDeadLetters(mq, "tasks.dead", 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ(mq.UnackedCount("tasks.dead"), 0);
}

TEST(DeadLettersTest, ReplayOfMissingDeadQueueIsZero) {
  FakeMessageQueue mq;
  auto n = ReplayDeadLetters(mq, "nope.dead", {});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST(DeadLettersTest, ReplayPublishFailureReturnsMessagesToDeadQueue) {
  FakeMessageQueue mq;
  for (const char* id : {"r1", "r2"}) {
    ASSERT_TRUE(mq.Publish("tasks", Task(id)).ok());
    TakeAndDeadLetter(mq, "tasks", "boom");
  }
  mq.FailNextPublish();
  auto n = ReplayDeadLetters(mq, "tasks.dead", {});
  EXPECT_TRUE(absl::IsUnavailable(n.status()));
  EXPECT_EQ(mq.ReadyCount("tasks.dead"), 2);
  EXPECT_EQ(mq.UnackedCount("tasks.dead"), 0);
  EXPECT_EQ(mq.ReadyCount("tasks"), 0);
}

TEST(DeadLettersTest, IdlessDeadLetterGetsAStableIdFromItsBody) {
  FakeMessageQueue mq;
  OutgoingMessage m;
  m.body = "not json at all";
  ASSERT_TRUE(mq.Publish("tasks", m).ok());
  ASSERT_TRUE(mq.Publish("tasks", m).ok());  // the same bytes again
  TakeAndDeadLetter(mq, "tasks", "invalid");
  TakeAndDeadLetter(mq, "tasks", "invalid");
  auto dead = mq.ReadyMessages("tasks.dead");
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].message_id, DerivedMessageId("not json at all"));
  EXPECT_EQ(dead[0].message_id, dead[1].message_id);
  EXPECT_EQ(dead[0].message_id.size(), 4u + 16u);  // "msg-" + 16 hex
  EXPECT_NE(DerivedMessageId("other"), dead[0].message_id);
  auto listed = ListDeadLetters(mq, "tasks.dead", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].id, dead[0].message_id);
}

TEST(DeadLettersTest, DiscardRemovesOnlyTheChosenOnes) {
  FakeMessageQueue mq;
  for (const char* id : {"r1", "r2", "r3"}) {
    ASSERT_TRUE(mq.Publish("tasks", Task(id)).ok());
    TakeAndDeadLetter(mq, "tasks", "boom");
  }
  auto n = DiscardDeadLetters(mq, "tasks.dead", {"r2", "nope"});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  auto left = ListDeadLetters(mq, "tasks.dead", 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  std::set<std::string> ids = {(*left)[0].id, (*left)[1].id};
  EXPECT_EQ(ids, (std::set<std::string>{"r1", "r3"}));
  EXPECT_EQ(mq.ReadyCount("tasks"), 0);  // not replayed
  EXPECT_EQ(mq.UnackedCount("tasks.dead"), 0);
}

TEST(DeadLettersTest, PurgeRemovesAllAndMissingQueueIsZero) {
  FakeMessageQueue mq;
  for (const char* id : {"r1", "r2"}) {
    ASSERT_TRUE(mq.Publish("tasks", Task(id)).ok());
    TakeAndDeadLetter(mq, "tasks", "boom");
  }
  EXPECT_EQ(*DiscardDeadLetters(mq, "tasks.dead", {}), 2);
  EXPECT_EQ(mq.ReadyCount("tasks.dead"), 0);
  EXPECT_EQ(*DiscardDeadLetters(mq, "nope.dead", {}), 0);
}

TEST(DeadLettersTest, DeeplyNestedBodyHasNoRequestIdAndDoesNotCrash) {
  const std::string deep = "{\"id\":\"x\",\"a\":" + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
  EXPECT_EQ(MessageRequestId("", deep), "");
  EXPECT_EQ(DeadLetterId("", deep), DerivedMessageId(deep));
}

}  // namespace
}  // namespace ebb::queue
