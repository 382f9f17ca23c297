// SPDX-License-Identifier: Apache-2.0
//
// The executor's caches survive what real watches go through: 410 Gone,
// dropped connections and API server restarts, with no missed or doubled
// Jobs, and bookmarks.
#include <gtest/gtest.h>

#include <set>

#include "executors/kubernetes/kube_executor_fixture.h"

namespace ebb::executors::kubernetes::testing {
namespace {

// The names the executor lists, each once, or an empty set on duplicates.
std::set<std::string> Names(const std::vector<Job>& jobs) {
  std::set<std::string> out;
  for (const Job& j : jobs) {
    if (!out.insert(j.name).second) return {};
  }
  return out;
}

// A foreground delete's answer (the Job with its deletionTimestamp) can
// arrive after the watch already reported the Job gone (no pods: the server
// removes it at once); putting it in the cache then must not bring the Job
// back, or it would count as running forever.
TEST_F(KubeExecutorTest, LateUpsertOfADeletedJobDoesNotResurrectIt) {
  KubeConfig config;
  config.server = server_.url();
  KubeClient client(config);
  InformerOptions o;
  o.path = "/apis/batch/v1/namespaces/stable-diff/jobs";
  o.resource = "jobs.batch";
  o.namespace_ = kNs;
  Informer informer(&client, o);
  const std::string name = CreateElsewhere();
  const nlohmann::json before = Stored(name);
  informer.Start();
  ASSERT_TRUE(informer.WaitSynced(absl::Seconds(10)).ok());
  ASSERT_EQ(informer.Snapshot().size(), 1u);
  ASSERT_TRUE(server_.store().Remove("jobs", kNs, name));
  ASSERT_TRUE(WaitFor([&] { return informer.Snapshot().empty(); }));
  informer.Upsert(before);
  EXPECT_TRUE(informer.Snapshot().empty());
  // A newer object of the same name (created again) is taken.
  nlohmann::json again = before;
  again["metadata"]["resourceVersion"] =
      std::to_string(server_.store().resource_version() + 1);
  informer.Upsert(again);
  EXPECT_EQ(informer.Snapshot().size(), 1u);
}

TEST_F(KubeExecutorTest, ExpiredWatchRelistsWithNoMissedOrDoubledJobs) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Executor().Create(SeedRequest()).ok());
  ASSERT_EQ(Count(), 3u);
  ASSERT_TRUE(WaitWatching());
  // The server forgets its history and cuts the watches: resuming from the
  // last resourceVersion gets 410, so the executor must relist.
  server_.store().Compact();
  const std::string other = CreateElsewhere();
  server_.store().Compact();
  server_.DropWatches();
  ASSERT_TRUE(WaitFor([&] { return Executor().stats().relists >= 1; }));
  ASSERT_TRUE(WaitFor([&] { return Names(Jobs()).count(other) == 1; }));
  EXPECT_EQ(Names(Jobs()).size(), 4u);
  EXPECT_EQ(Count(), 4u);
}

TEST_F(KubeExecutorTest, DroppedWatchResumesWhereItLeftOffWithoutRelisting) {
  ASSERT_TRUE(Executor().Create(SeedRequest()).ok());
  ASSERT_EQ(Count(), 1u);
  ASSERT_TRUE(WaitWatching());
  server_.DropWatches();
  const std::string other = CreateElsewhere();
  ASSERT_TRUE(WaitFor([&] { return Names(Jobs()).count(other) == 1; }));
  EXPECT_EQ(Count(), 2u);
  EXPECT_EQ(Executor().stats().relists, 0);
  EXPECT_EQ(server_.Requests("list", ""), 2);  // the first lists only
  EXPECT_GE(server_.Requests("watch", "jobs"), 2);
}

TEST_F(KubeExecutorTest, ApiServerRestartRelistsWithNoMissedOrDoubledJobs) {
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(Executor().Create(SeedRequest()).ok());
  ASSERT_EQ(Count(), 2u);
  ASSERT_TRUE(WaitWatching());
  server_.Stop();
  const std::string other = CreateElsewhere();  // written while it is down
  const std::string gone = Jobs()[0].name;
  server_.store().Remove("jobs", kNs, gone);
  ASSERT_TRUE(server_.Restart().ok());
  ASSERT_TRUE(WaitFor([&] {
    std::set<std::string> names = Names(Jobs());
    return names.size() == 2 && names.count(other) == 1 &&
           names.count(gone) == 0;
  }));
  EXPECT_GE(Executor().stats().relists, 1);
  // After the restart a new Job is seen exactly once.
  const std::string late = Executor().Create(SeedRequest())->name;
  ASSERT_TRUE(WaitFor([&] { return Executor().stats().events >= 1; }));
  EXPECT_EQ(Names(Jobs()).size(), 3u);
  EXPECT_EQ(Names(Jobs()).count(late), 1u);
}

TEST_F(KubeExecutorTest, BookmarksMoveTheResumePointWithoutEvents) {
  ASSERT_EQ(Count(), 0u);
  ASSERT_TRUE(WaitWatching());
  const InformerStats before = Executor().stats();
  // Pods change outside the executor's selector; only a bookmark tells the
  // jobs watch that the resourceVersion moved on.
  server_.store().Put("pods", kNs, {{"metadata", {{"name", "unrelated"}}}});
  server_.SendBookmarks();
  ASSERT_TRUE(WaitFor([&] { return Executor().stats().bookmarks >= 2; }));
  EXPECT_EQ(Executor().stats().events, before.events);
  EXPECT_EQ(server_.Requests("list", ""), 2);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
