// SPDX-License-Identifier: Apache-2.0
//
// What a restarted `ebb up` finds in the data directory: a job whose files
// were written but whose supervisor was never spawned (ebb up died in
// between) must not stay pending for ever.
#include <sys/stat.h>

#include "executors/local/local_executor_test_util.h"

namespace ebb::executors::local {
namespace {

TEST_F(LocalExecutorTest, JobWhoseSupervisorNeverStartedFailsAfterAGrace) {
  FakeClock clock(absl::Now());
  options_.clock = &clock;
  ReopenExecutor();
  // The files Create writes before it spawns the supervisor, and no more.
  auto jf = ex_->BuildJobFile(Request({Sh("main", "true")}), "sj-orphan",
                              ex_->JobDir("default", "sj-orphan"));
  ASSERT_TRUE(jf.ok()) << jf.status();
  jf->created = clock.Now();
  const std::string dir = ex_->JobDir("default", "sj-orphan");
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteJobFile(dir, *jf).ok());
  ASSERT_TRUE(WriteStateFile(dir, InitialState(*jf)).ok());

  auto pending = Find("sj-orphan");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->state, JobState::kPending);  // maybe still being created

  clock.Advance(absl::Seconds(31));
  auto lost = Find("sj-orphan");
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->state, JobState::kFailed);
  EXPECT_EQ(lost->reason, "SupervisorLost");
  EXPECT_NE(lost->message.find("never started"), std::string::npos)
      << lost->message;
  // Recorded: a later listing (or `ebb jobs`) sees the same.
  auto st = ReadStateFile(dir);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->state, JobState::kFailed);
}

}  // namespace
}  // namespace ebb::executors::local
