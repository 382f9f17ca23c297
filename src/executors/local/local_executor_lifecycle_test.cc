// SPDX-License-Identifier: Apache-2.0
//
// Deletion, and the supervisor's independence from its creator.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "executors/local/local_executor_test_util.h"

namespace ebb::executors::local {
namespace {

// Pids whose parent is `ppid`.
std::vector<pid_t> ChildrenOf(pid_t ppid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    auto stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    if (!stat.ok()) continue;
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> f = absl::StrSplit(stat->substr(close + 2), ' ');
    pid_t parent = 0;
    if (f.size() > 1 && absl::SimpleAtoi(f[1], &parent) && parent == ppid)
      out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

TEST_F(LocalExecutorTest, DeleteForegroundKeepsJobListedUntilItStops) {
  // Takes ~0.5 s to stop after SIGTERM.
  auto fg = ex_->Create(Request(
      {Sh("main",
          "trap 'sleep 0.5; exit 0' TERM; echo up; while :; do sleep 0.05; "
          "done")}));
  auto bg = ex_->Create(Request({Sh("main", "exec sleep 60")}));
  ASSERT_TRUE(fg.ok() && bg.ok());
  WaitState(fg->name, JobState::kRunning);
  WaitState(bg->name, JobState::kRunning);
  // The trap must be installed before the SIGTERM.
  ASSERT_TRUE(WaitUntil([&] { return Log(fg->name, "main") == "up\n"; }));

  ASSERT_TRUE(ex_->Delete("default", bg->name, /*foreground=*/false).ok());
  EXPECT_FALSE(Find(bg->name).has_value());  // gone at once

  ASSERT_TRUE(ex_->Delete("default", fg->name, /*foreground=*/true).ok());
  auto listed = Find(fg->name);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->deleting);
  EXPECT_TRUE(WaitUntil([&] { return !Find(fg->name).has_value(); }));
  EXPECT_FALSE(std::filesystem::exists(ex_->JobDir("default", fg->name)));
  EXPECT_TRUE(WaitUntil([&] {
    return !std::filesystem::exists(ex_->JobDir("default", bg->name)) ||
           (ex_->List("", "").ok(), false);
  }));
  EXPECT_EQ(ex_->Delete("default", fg->name, true).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LocalExecutorTest, DeleteFinishedJobRemovesItAtOnce) {
  auto job = ex_->Create(Request({Sh("main", "exit 0")}));
  ASSERT_TRUE(job.ok());
  WaitState(job->name, JobState::kSucceeded);
  ASSERT_TRUE(ex_->Delete("default", job->name, true).ok());
  EXPECT_FALSE(Find(job->name).has_value());
  EXPECT_FALSE(std::filesystem::exists(ex_->JobDir("default", job->name)));
}

TEST_F(LocalExecutorTest, SupervisorOutlivesTheProcessThatCreatedIt) {
  std::string flag = tmp_ + "/go";
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto job = ex_->Create(Request(
        {Sh("main", "while [ ! -f " + flag + " ]; do sleep 0.05; done")}));
    std::string name = job.ok() ? job->name : "";
    (void)!::write(p[1], name.data(), name.size());
    ::_exit(job.ok() ? 0 : 1);
  }
  ::close(p[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  char buf[64] = {};
  ssize_t n = ::read(p[0], buf, sizeof(buf) - 1);
  ::close(p[0]);
  ASSERT_GT(n, 0);
  std::string name(buf, static_cast<size_t>(n));
  WaitState(name, JobState::kRunning);
  ASSERT_TRUE(WriteFileAtomic(flag, "").ok());
  WaitState(name, JobState::kSucceeded);
}

TEST_F(LocalExecutorTest, KilledSupervisorFailsJobAndKillsContainers) {
  auto job = ex_->Create(Request({Sh("main", "exec sleep 60")}));
  ASSERT_TRUE(job.ok());
  WaitState(job->name, JobState::kRunning);
  auto sup = ReadSupervisorFile(ex_->JobDir("default", job->name));
  ASSERT_TRUE(sup.ok());
  std::vector<pid_t> kids = ChildrenOf(sup->pid);
  ASSERT_EQ(kids.size(), 1u);
  uint64_t kid_start = ProcessStartTime(kids[0]).value_or(0);
  ASSERT_EQ(::kill(sup->pid, SIGKILL), 0);
  Job failed = WaitState(job->name, JobState::kFailed);
  EXPECT_EQ(failed.reason, "SupervisorLost");
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(kids[0], kid_start); }));
  // The verdict is recorded: a new executor on the same dir agrees.
  ReopenExecutor();
  auto again = Find(job->name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->reason, "SupervisorLost");
}

TEST_F(LocalExecutorTest, JobsSurviveANewExecutorOnTheSameDir) {
  auto job = ex_->Create(Request({Sh("main", "exec sleep 60")}));
  ASSERT_TRUE(job.ok());
  WaitState(job->name, JobState::kRunning);
  ReopenExecutor();
  auto listed = ex_->List("default", "sj");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].state, JobState::kRunning);
  EXPECT_TRUE(ex_->List("default", "other")->empty());
  EXPECT_TRUE(ex_->List("elsewhere", "")->empty());
}

}  // namespace
}  // namespace ebb::executors::local
