// SPDX-License-Identifier: Apache-2.0
#include "worker/outcome.h"

#include <stdlib.h>

#include <filesystem>

#include "common/files.h"
#include "gtest/gtest.h"

namespace ebb::worker {
namespace {

TEST(OutcomeTest, OneRequestGivesItsOutcome) {
  EXPECT_EQ(OutcomeOf(WorkerStats{}), "no message");
  EXPECT_EQ(OutcomeOf(WorkerStats{.done = 1}), "done");
  EXPECT_EQ(OutcomeOf(WorkerStats{.done = 1, .already_done = 1}), "done");
  EXPECT_EQ(OutcomeOf(WorkerStats{.failed = 1}), "failed");
  EXPECT_EQ(OutcomeOf(WorkerStats{.retried = 1}), "retried");
  EXPECT_EQ(OutcomeOf(WorkerStats{.invalid = 1}), "dead-lettered");
  EXPECT_EQ(OutcomeOf(WorkerStats{.ids_assigned = 1}), "no message");
}

TEST(OutcomeTest, SeveralRequestsGiveTheCounts) {
  EXPECT_EQ(OutcomeOf(WorkerStats{.done = 2, .failed = 1}), "2 done, 1 failed");
  EXPECT_EQ(OutcomeOf(WorkerStats{.done = 3}), "3 done");
}

TEST(OutcomeTest, WritesTheTerminationMessageFileNamedByTheEnv) {
  const std::string path = ::testing::TempDir() + "/outcome-termination-log";
  std::filesystem::remove(path);
  ::unsetenv(kTerminationMessagePathEnv);
  EXPECT_TRUE(WriteOutcome(WorkerStats{.done = 1}).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  ::setenv(kTerminationMessagePathEnv, path.c_str(), 1);
  ASSERT_TRUE(WriteOutcome(WorkerStats{.failed = 1}).ok());
  EXPECT_EQ(*ReadFile(path), "failed\n");
  // Under a regular file: cannot be created.
  const std::string bad = path + "/x";
  ::setenv(kTerminationMessagePathEnv, bad.c_str(), 1);
  absl::Status s = WriteOutcome(WorkerStats{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find(bad), std::string::npos);
  ::unsetenv(kTerminationMessagePathEnv);
}

}  // namespace
}  // namespace ebb::worker
