// SPDX-License-Identifier: Apache-2.0
#include "http/job_watcher.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "executors/fake_executor.h"
#include "gtest/gtest.h"

namespace ebb::http {
namespace {

executors::JobRequest Request(const std::string& scaled_job) {
  executors::JobRequest r;
  r.scaled_job = scaled_job;
  r.namespace_ = "default";
  return r;
}

// Every event published after `*after`, advancing it.
std::vector<Event> Drain(EventHub& hub, uint64_t* after) {
  auto events = hub.WaitAfter(*after, absl::ZeroDuration());
  if (!events.empty()) *after = events.back().seq;
  return events;
}

TEST(JobWatcherTest, PublishesAppearanceStateChangesAndDeletionOnce) {
  executors::FakeExecutor executor;
  EventHub hub;
  JobWatcher watcher(executor, hub);
  uint64_t after = 0;

  auto job = executor.Create(Request("sd"));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(watcher.PollOnce().ok());
  auto events = Drain(hub, &after);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "job");
  EXPECT_EQ(events[0].data["name"], job->name);
  EXPECT_EQ(events[0].data["state"], "pending");
  EXPECT_EQ(events[0].data["scaledJob"], "sd");

  ASSERT_TRUE(watcher.PollOnce().ok());
  EXPECT_TRUE(Drain(hub, &after).empty()) << "no change, no event";

  ASSERT_TRUE(
      executor.SetState("default", job->name, executors::JobState::kRunning)
          .ok());
  ASSERT_TRUE(watcher.PollOnce().ok());
  events = Drain(hub, &after);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["state"], "running");

  ASSERT_TRUE(executor.Delete("default", job->name, /*foreground=*/true).ok());
  ASSERT_TRUE(watcher.PollOnce().ok());
  events = Drain(hub, &after);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["deleting"], true);

  executor.CompleteDeletes();
  ASSERT_TRUE(watcher.PollOnce().ok());
  events = Drain(hub, &after);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["name"], job->name);
  EXPECT_EQ(events[0].data["deleted"], true);
  EXPECT_EQ(events[0].data["scaledJob"], "sd");
}

TEST(JobWatcherTest, FailedListPublishesNoDeletions) {
  executors::FakeExecutor executor;
  EventHub hub;
  JobWatcher watcher(executor, hub);
  uint64_t after = 0;
  ASSERT_TRUE(executor.Create(Request("sd")).ok());
  ASSERT_TRUE(watcher.PollOnce().ok());
  Drain(hub, &after);

  executor.FailNextList();
  EXPECT_FALSE(watcher.PollOnce().ok());
  EXPECT_TRUE(Drain(hub, &after).empty());
  ASSERT_TRUE(watcher.PollOnce().ok());
  EXPECT_TRUE(Drain(hub, &after).empty()) << "the job was never gone";
}

TEST(JobWatcherTest, BackgroundThreadPublishesChangesAndStopsPromptly) {
  executors::FakeExecutor executor;
  EventHub hub;
  JobWatcher watcher(executor, hub, absl::Milliseconds(20));
  watcher.Start();
  auto job = executor.Create(Request("sd"));
  ASSERT_TRUE(job.ok());

  uint64_t after = 0;
  bool seen_running = false;
  ASSERT_TRUE(
      executor.SetState("default", job->name, executors::JobState::kRunning)
          .ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!seen_running && absl::Now() < deadline) {
    for (const auto& e : hub.WaitAfter(after, absl::Seconds(1))) {
      after = e.seq;
      seen_running = seen_running || e.data["state"] == "running";
    }
  }
  EXPECT_TRUE(seen_running);
  watcher.Stop();
  watcher.Stop();  // idempotent
}

TEST(JobWatcherTest, StopDoesNotWaitForTheInterval) {
  executors::FakeExecutor executor;
  EventHub hub;
  JobWatcher watcher(executor, hub, absl::Hours(1));
  watcher.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (executor.list_calls() == 0 && absl::Now() < deadline) {
    hub.WaitAfter(0, absl::Milliseconds(5));  // bounded wait for the first poll
  }
  ASSERT_GE(executor.list_calls(), 1);
  const absl::Time start = absl::Now();
  watcher.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace ebb::http
