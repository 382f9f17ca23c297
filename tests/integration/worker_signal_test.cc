// SPDX-License-Identifier: Apache-2.0
//
// SIGTERM to `ebb worker` in the middle of a long inference: the worker stops
// the model between steps, hands the request back and exits within seconds
// (not at the end of the executor's 30 s grace), and another worker then
// processes the request exactly once, with no attempt used up.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

// The ScaledJob of single-node mode watches `tasks`; this test runs its own
// workers on another queue.
constexpr char kQueue[] = "manual";

class Worker {
 public:
  Worker(const EbbUp& up, const std::string& log,
         std::map<std::string, std::string> env)
      : log_(log) {
    env["EBB_QUEUE_URL"] = up.server();
    env["EBB_TOKEN"] = up.Token();
    env["EBB_STORE"] = up.store_dir();
    env["Q_NAME"] = kQueue;
    env["EBB_SIM_LOAD_MS"] = "0";
    env.try_emplace("EBB_MODEL", "sim");
    std::vector<std::string> envs = MergedEnvironment(env);
    std::vector<char*> cenv;
    for (auto& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string bin = EbbBinary();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      char* argv[] = {const_cast<char*>(bin.c_str()),
                      const_cast<char*>("worker"), nullptr};
      ::execve(argv[0], argv, cenv.data());
      _exit(127);
    }
  }
  ~Worker() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int sig) const { ::kill(pid_, sig); }
  // Exit code once exited (128+signal if killed); nullopt while running.
  std::optional<int> Exited() {
    if (pid_ <= 0) return code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  std::optional<int> code_;
};

TEST(WorkerSignalTest, SigtermMidInferenceHandsTheRequestBackAndExitsAtOnce) {
  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = 1;
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();

  // 60 steps of 1 s each: far longer than the stop may take.
  const std::string id = "sigterm-1";
  nlohmann::json task = {
      {"id", id}, {"prompt", "a heron at dusk"}, {"steps", 60}};
  httplib::Client http(up.server());
  http.set_bearer_token_auth(up.Token());
  nlohmann::json msg = {{"body", task.dump()}, {"message_id", id}};
  auto res = http.Post(absl::StrCat("/api/v1/queues/", kQueue, "/messages"),
                       msg.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 201) << (res ? res->body : "no answer");

  const std::string dir = MakeTempDir("wsig");
  Worker slow(up, dir + "/slow.log", {{"EBB_SIM_INFERENCE_MS", "60000"}});
  auto status = [&] {
    nlohmann::json r = up.Get("/api/v1/requests/" + id);
    return r.is_object() ? r.value("status", "") : "";
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        return status() == "running" &&
               slow.log().find("attempt 1/") != std::string::npos;
      },
      absl::Seconds(30)))
      << slow.log();
  const absl::Time sent = absl::Now();
  slow.Signal(SIGTERM);
  ASSERT_TRUE(
      WaitUntil([&] { return slow.Exited().has_value(); }, absl::Seconds(10)))
      << "the worker ignored SIGTERM\n"
      << slow.log();
  const absl::Duration took = absl::Now() - sent;
  EXPECT_LT(took, absl::Seconds(5)) << slow.log();
  EXPECT_EQ(*slow.Exited(), 0) << slow.log();
  EXPECT_NE(slow.log().find("handing request " + id + " back"),
            std::string::npos)
      << slow.log();
  EXPECT_EQ(status(), "queued");
  EXPECT_TRUE(up.Records().empty());

  Worker fast(up, dir + "/fast.log", {{"EBB_SIM_INFERENCE_MS", "100"}});
  ASSERT_TRUE(
      WaitUntil([&] { return fast.Exited().has_value(); }, absl::Seconds(60)))
      << fast.log();
  EXPECT_EQ(*fast.Exited(), 0) << fast.log();
  nlohmann::json rec = up.Record(id);
  EXPECT_EQ(rec["status"], "done") << rec.dump();
  EXPECT_EQ(rec["attempt"], 1) << rec.dump();
  EXPECT_EQ(status(), "done");
  int files = 0;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(up.store_dir(), ec)) {
    files += e.path().filename().string()[0] == '.' ? 0 : 1;
  }
  EXPECT_EQ(files, 2);  // one PNG, one record
  std::cout << "SIGTERM mid-inference: worker exited "
            << absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(10)))
            << " after the signal\n";
}

}  // namespace
}  // namespace ebb::testing
