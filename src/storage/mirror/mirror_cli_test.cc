// SPDX-License-Identifier: Apache-2.0
// The built `ebb mirror` on two temporary directories.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace ebb {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class MirrorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("ebb-mirror-cli");
    src_ = root_ + "/images";
    dst_ = root_ + "/mirror";
    fs::create_directories(src_);
  }
  void TearDown() override { fs::remove_all(root_); }
  // Whole files only (write, then rename in), so a --watch pass never sees
  // one half-written and the counts below are exact.
  void Write(const std::string& name, const std::string& data) {
    std::ofstream(root_ + "/staging", std::ios::binary) << data;
    fs::rename(root_ + "/staging", src_ + "/" + name);
  }
  int Ebb(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {testing::EbbBinary(), "--log-level", "warn"});
    return testing::RunCommand(args, out);
  }

  std::string root_, src_, dst_;
};

TEST_F(MirrorCliTest, CopiesWhatChangedAndNeverTheWorkingMarker) {
  Write("working", "");
  Write("r1-0.png", "png");
  Write("r1.json", "{}");
  std::string out;
  ASSERT_EQ(Ebb({"mirror", "--exclude", "working", src_, dst_}, &out), 0)
      << out;
  EXPECT_THAT(out, HasSubstr("copy   r1-0.png (3 bytes, new)"));
  EXPECT_THAT(out, HasSubstr("2 copied (5 bytes), 0 unchanged"));
  // The record line comes after the image line.
  EXPECT_LT(out.find("r1-0.png"), out.find("r1.json"));
  EXPECT_TRUE(fs::exists(dst_ + "/r1.json"));
  EXPECT_FALSE(fs::exists(dst_ + "/working"));

  Write("r2-0.png", "png2");
  out.clear();
  ASSERT_EQ(
      Ebb({"mirror", "--exclude", "working", "-o", "json", src_, dst_}, &out),
      0)
      << out;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["copied"], 1);
  EXPECT_EQ(j["skipped"], 2);
  EXPECT_EQ(j["excluded"], 1);
  EXPECT_EQ(j["actions"][0]["key"], "r2-0.png");
  EXPECT_EQ(j["destination"], "file://" + dst_);

  // --remove with --dry-run reports and keeps; then removes.
  fs::remove(src_ + "/r1-0.png");
  out.clear();
  ASSERT_EQ(Ebb({"mirror", "--remove", "--dry-run", src_, dst_}, &out), 0);
  EXPECT_THAT(out, HasSubstr("would remove r1-0.png"));
  EXPECT_TRUE(fs::exists(dst_ + "/r1-0.png"));
  out.clear();
  ASSERT_EQ(
      Ebb({"mirror", "--remove", "--exclude", "working", src_, dst_}, &out), 0);
  EXPECT_FALSE(fs::exists(dst_ + "/r1-0.png"));
  EXPECT_TRUE(fs::exists(dst_ + "/r1.json"));
}

TEST_F(MirrorCliTest, ErrorsAndUsage) {
  std::string out;
  EXPECT_EQ(Ebb({"mirror", src_}, &out), 2);  // DST missing
  out.clear();
  EXPECT_EQ(Ebb({"mirror", "--interval", "0", src_, dst_}, &out), 2);
  out.clear();
  EXPECT_EQ(Ebb({"mirror", "bogus://user:hunter2@host/b", dst_}, &out), 1);
  EXPECT_THAT(out, HasSubstr("error: source"));
  EXPECT_THAT(out, HasSubstr("unknown scheme"));
  EXPECT_THAT(out, Not(HasSubstr("hunter2")));
  out.clear();
  EXPECT_EQ(Ebb({"mirror", "--help"}, &out), 0);
  EXPECT_THAT(out, HasSubstr("mc mirror --exclude"));
}

TEST_F(MirrorCliTest, WatchMirrorsNewResultsUntilSigterm) {
  Write("working", "");
  std::string log = root_ + "/watch.log";
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    if (f == nullptr || ::dup2(::fileno(stdout), 2) < 0) _exit(127);
    std::string bin = testing::EbbBinary();
    std::vector<std::string> args = {
        bin,    "mirror",      "--exclude", "working", "--watch", "--interval",
        "0.05", "--once-when", "*.json",    src_,      dst_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  auto eventually = [](const std::function<bool()>& cond) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return cond();
  };
  Write("r1-0.png", "png");
  Write("r1.json", "{}");
  EXPECT_TRUE(eventually([&] { return fs::exists(dst_ + "/r1.json"); }));
  Write("r2-0.png", "png2");
  EXPECT_TRUE(eventually([&] { return fs::exists(dst_ + "/r2-0.png"); }));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::ifstream in(log);
  std::string out((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  EXPECT_THAT(out, HasSubstr("3 copied (9 bytes), 0 removed")) << out;
  EXPECT_FALSE(fs::exists(dst_ + "/working"));
}

}  // namespace
}  // namespace ebb
