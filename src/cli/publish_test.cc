// SPDX-License-Identifier: Apache-2.0
#include "cli/publish.h"

#include "gtest/gtest.h"
#include "queue/fake_message_queue.h"

namespace ebb::cli {
namespace {

TEST(BuildTasksTest, ParallelSplitsIntoRequestsOfOne) {
  auto tasks =
      BuildTasks({{"prompt", "a cat"}, {"count", 3}, {"parallel", true}});
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 3u);
  EXPECT_EQ((*tasks)[0]["count"], 1);
  EXPECT_NE((*tasks)[0]["id"], (*tasks)[1]["id"]);
}

TEST(BuildTasksTest, RejectsWithFieldAndRule) {
  auto t = BuildTasks({{"prompt", "x"}, {"count", 5}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "count: must be between 1 and 4");
  EXPECT_EQ(BuildTasks({{"count", 1}}).status().message(),
            "prompt: required, a string");
  EXPECT_EQ(BuildTasks({{"prompt", "x"}, {"width", 100}}).status().message(),
            "width: must be a multiple of 8");
}

TEST(PublishTasksTest, StampsIdAndEnqueueTimeAndResumesAfterFailure) {
  queue::FakeMessageQueue mq;
  auto tasks = BuildTasks({{"prompt", "a cat"}, {"repeat", 3}});
  ASSERT_TRUE(tasks.ok());
  std::vector<std::string> ids;
  mq.FailNextPublish();
  EXPECT_FALSE(PublishTasks(mq, "tasks", *tasks, &ids).ok());
  EXPECT_TRUE(ids.empty());
  ASSERT_TRUE(PublishTasks(mq, "tasks", *tasks, &ids).ok());
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(mq.Depth("tasks")->ready, 3);
  auto d = mq.Get("tasks");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->message_id, ids[0]);
  EXPECT_TRUE((*d)->headers.count(queue::kHeaderEnqueuedAtMs));
}

}  // namespace
}  // namespace ebb::cli
