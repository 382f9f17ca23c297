// SPDX-License-Identifier: Apache-2.0
// A worker whose lease ran out while `ebb up` was away: its stored result
// stands, the copy that went to another worker settles the message, and no
// request gets two result sets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

class WorkerOutageTest : public WorkerTestBase {};

TEST_F(WorkerOutageTest, RefusedAckAfterTheResultIsStoredCountsAsDone) {
  auto sim = MakeSim();
  Publish({{"id", "o1"}, {"prompt", "a fjord"}}, "o1");
  mq_.FailNext(queue::FakeMessageQueue::Op::kAck,
               absl::FailedPreconditionError("lease expired"));
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(stats_.done, 1);
  EXPECT_EQ(Record("o1")["status"], "done");

  // The lease was lost: the broker hands the message to the next worker,
  // which finds the result and only acks.
  mq_.SimulateConnectionLoss();
  ASSERT_EQ(mq_.ReadyCount(kQueue), 1);
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(stats_.already_done, 1);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 0);
  auto keys = store_.List("");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);  // o1-1.png and o1.json, once
}

TEST_F(WorkerOutageTest, OtherAckFailuresAreStillErrors) {
  auto sim = MakeSim();
  Publish({{"id", "o2"}, {"prompt", "a fjord"}}, "o2");
  mq_.FailNext(queue::FakeMessageQueue::Op::kAck,
               absl::UnavailableError("broker down"));
  auto n = RunWorker(*sim, Options());
  EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
}

}  // namespace
}  // namespace ebb::worker
