// SPDX-License-Identifier: Apache-2.0
#include "executors/fake_executor.h"

#include <gtest/gtest.h>

namespace ebb::executors {
namespace {

JobRequest Request(const std::string& sj, const std::string& ns = "default") {
  JobRequest r;
  r.scaled_job = sj;
  r.namespace_ = ns;
  r.labels["scaledjob.keda.sh/name"] = sj;
  r.annotations["scaledjob.keda.sh/generation"] = "3";
  spec::Container c;
  c.name = "worker";
  r.spec.template_.containers.push_back(c);
  return r;
}

TEST(JobTest, StateNamesAndGeneration) {
  EXPECT_EQ(JobStateName(JobState::kPending), "pending");
  EXPECT_EQ(JobStateName(JobState::kRunning), "running");
  EXPECT_EQ(JobStateName(JobState::kSucceeded), "succeeded");
  EXPECT_EQ(JobStateName(JobState::kFailed), "failed");
  Job j;
  EXPECT_EQ(j.Generation(), 0);
  j.annotations["scaledjob.keda.sh/generation"] = "17";
  EXPECT_EQ(j.Generation(), 17);
  j.annotations["scaledjob.keda.sh/generation"] = "x";
  EXPECT_EQ(j.Generation(), 0);
}

TEST(FakeExecutorTest, CreateListsPendingJobInCreationOrder) {
  FakeClock clock;
  FakeExecutor ex(&clock);
  auto a = ex.Create(Request("sj"));
  ASSERT_TRUE(a.ok());
  auto b = ex.Create(Request("other"));
  auto c = ex.Create(Request("sj"));
  ASSERT_TRUE(b.ok() && c.ok());
  EXPECT_EQ(a->name.rfind("sj-", 0), 0u);
  EXPECT_EQ(a->name.size(), 8u);
  EXPECT_EQ(a->state, JobState::kPending);
  EXPECT_EQ(a->created, clock.Now());
  EXPECT_EQ(a->Generation(), 3);
  auto list = ex.List("default", "sj");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, a->name);
  EXPECT_EQ((*list)[1].name, c->name);
  EXPECT_EQ(ex.List("", "")->size(), 3u);
  EXPECT_EQ(ex.List("elsewhere", "")->size(), 0u);
  EXPECT_EQ(ex.requests().size(), 3u);
}

TEST(FakeExecutorTest, InjectedFailuresChangeNothing) {
  FakeExecutor ex;
  ex.FailNextCreate();
  EXPECT_EQ(ex.Create(Request("sj")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ex.size(), 0u);
  EXPECT_TRUE(ex.Create(Request("sj")).ok());
  ex.FailNextList(absl::InternalError("boom"), 2);
  EXPECT_EQ(ex.List("", "").status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(ex.List("", "").ok());
  EXPECT_TRUE(ex.List("", "").ok());
  EXPECT_EQ(ex.create_calls(), 2);
  EXPECT_EQ(ex.list_calls(), 3);
  ex.FailNextDelete();
  std::string name = ex.List("", "")->front().name;
  EXPECT_FALSE(ex.Delete("default", name, false).ok());
  EXPECT_EQ(ex.size(), 1u);
}

TEST(FakeExecutorTest, SetStateStampsTimes) {
  FakeClock clock;
  FakeExecutor ex(&clock);
  Job j = *ex.Create(Request("sj"));
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(ex.SetState("default", j.name, JobState::kRunning).ok());
  Job r = *ex.Get("default", j.name);
  EXPECT_EQ(r.ready, clock.Now());
  EXPECT_TRUE(r.containers[0].ready);
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(
      ex.SetState("default", j.name, JobState::kFailed, "BackoffLimitExceeded")
          .ok());
  r = *ex.Get("default", j.name);
  EXPECT_TRUE(r.Finished());
  EXPECT_EQ(r.reason, "BackoffLimitExceeded");
  EXPECT_EQ(r.finished, clock.Now());
  EXPECT_EQ(ex.SetState("default", "nope", JobState::kRunning).code(),
            absl::StatusCode::kNotFound);
}

TEST(FakeExecutorTest, ForegroundDeleteKeepsUnfinishedJobListed) {
  FakeExecutor ex;
  Job a = *ex.Create(Request("sj"));
  Job b = *ex.Create(Request("sj"));
  Job c = *ex.Create(Request("sj"));
  ASSERT_TRUE(ex.SetState("default", c.name, JobState::kSucceeded).ok());
  ASSERT_TRUE(ex.Delete("default", a.name, /*foreground=*/true).ok());
  ASSERT_TRUE(ex.Delete("default", b.name, /*foreground=*/false).ok());
  ASSERT_TRUE(ex.Delete("default", c.name, /*foreground=*/true).ok());
  auto list = *ex.List("default", "sj");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, a.name);
  EXPECT_TRUE(list[0].deleting);
  ex.CompleteDeletes();
  EXPECT_TRUE(ex.List("default", "sj")->empty());
  EXPECT_EQ(ex.deletes().size(), 3u);
  EXPECT_TRUE(ex.deletes()[0].foreground);
  EXPECT_EQ(ex.Delete("default", a.name, true).code(),
            absl::StatusCode::kNotFound);
}

TEST(FakeExecutorTest, Logs) {
  FakeExecutor ex;
  Job a = *ex.Create(Request("sj"));
  EXPECT_EQ(*ex.Logs("default", a.name, "", 100), "");
  ex.SetLogs("default", a.name, "", "hello world");
  EXPECT_EQ(*ex.Logs("default", a.name, "worker", 5), "world");
  EXPECT_EQ(ex.Logs("default", a.name, "nope", 5).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ebb::executors
