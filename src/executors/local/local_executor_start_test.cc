// SPDX-License-Identifier: Apache-2.0
//
// A container that cannot be exec'd is reported as a start failure (reason
// StartError, with why), not as a run that exited 127.
#include <string>

#include "absl/strings/match.h"
#include "executors/local/local_executor_test_util.h"

namespace ebb::executors::local {
namespace {

TEST_F(LocalExecutorTest, ExecFailureIsAStartErrorWithItsReason) {
  spec::Container c;
  c.name = "main";
  c.image = "busybox:1.36";
  c.command = {"/nonexistent/ebb-no-such-binary"};
  auto job = ex_->Create(Request({c}, /*backoff_limit=*/0));
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  EXPECT_EQ(done.reason, "BackoffLimitExceeded");
  EXPECT_EQ(done.started, absl::InfinitePast());
  ASSERT_EQ(done.containers.size(), 1u);
  EXPECT_EQ(done.containers[0].reason, kStartError);
  EXPECT_EQ(done.containers[0].message,
            "cannot run /nonexistent/ebb-no-such-binary: No such file or "
            "directory");
  std::string why;
  EXPECT_TRUE(done.StartFailed(&why));
  EXPECT_EQ(why, done.containers[0].message);
  EXPECT_TRUE(absl::StrContains(Log(job->name, "main"), "cannot run"));
}

TEST_F(LocalExecutorTest, OversizedEnvironmentIsAStartErrorNotAnExit) {
  spec::Container c = Sh("main", "exit 0");
  JobRequest r = Request({c}, /*backoff_limit=*/0);
  // Over MAX_ARG_STRLEN: exec fails with E2BIG.
  r.env["main"].push_back({"BIG", std::string(200 * 1000, 'x')});
  auto job = ex_->Create(r);
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  ASSERT_EQ(done.containers.size(), 1u);
  EXPECT_EQ(done.containers[0].reason, kStartError);
  EXPECT_EQ(done.containers[0].message,
            "cannot run /bin/sh: Argument list too long");
  EXPECT_TRUE(done.StartFailed());
}

TEST_F(LocalExecutorTest, SuccessfulStartHasNoStartError) {
  auto job = ex_->Create(Request({Sh("main", "exit 4")}, 0));
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kFailed);
  EXPECT_NE(done.started, absl::InfinitePast());
  EXPECT_EQ(done.containers[0].reason, "Error");
  EXPECT_EQ(done.containers[0].exit_code, 4);
  EXPECT_FALSE(done.StartFailed());
}

// Kubernetes' termination message: what the container writes to
// $EBB_TERMINATION_MESSAGE_PATH is the job's request outcome.
TEST_F(LocalExecutorTest, TerminationMessageIsTheJobsOutcome) {
  auto job = ex_->Create(Request(
      {Sh("main", "printf 'failed\\n' > \"$EBB_TERMINATION_MESSAGE_PATH\"")},
      0));
  ASSERT_TRUE(job.ok()) << job.status();
  Job done = WaitState(job->name, JobState::kSucceeded);
  EXPECT_EQ(done.containers[0].reason, "Completed");
  EXPECT_EQ(done.containers[0].message, "failed");
  EXPECT_EQ(done.Outcome(), "failed");
  auto quiet = ex_->Create(Request({Sh("main", "exit 0")}, 0));
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_EQ(WaitState(quiet->name, JobState::kSucceeded).Outcome(), "");
}

}  // namespace
}  // namespace ebb::executors::local
