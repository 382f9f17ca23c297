// SPDX-License-Identifier: Apache-2.0
//
// The exit codes every `ebb` command shares (DESIGN.md "Command line"): 0
// success, 1 failure (cannot reach `ebb up` included), 2 usage; errors in
// plain text and a usage line that says `ebb`. One table over every command
// that talks to `ebb up`; no server needed.
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace ebb::testing {
namespace {

struct Row {
  std::vector<std::string> args;
  int unreachable;  // exit code with nothing listening at --server
};

// Each command that talks to `ebb up`, with valid arguments.
const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      {{"status"}, 1},
      {{"jobs"}, 1},
      {{"jobs", "--scaledjob", "sd", "-o", "wide"}, 1},
      {{"logs", "some-job"}, 1},
      {{"logs", "some-job", "-f", "--tail", "5"}, 1},
      {{"get", "abc"}, 1},
      {{"get", "abc", "-o", "json"}, 1},
      {{"requests"}, 1},
      {{"requests", "--status", "done", "-q", "fox", "-o", "wide"}, 1},
      {{"wait", "abc", "--timeout", "1"}, 1},
      {{"cancel", "abc"}, 1},
      {{"delete", "abc"}, 1},
      {{"submit", "a fox"}, 1},
      {{"submit", "a fox", "--wait", "--parallel", "--count", "2"}, 1},
      {{"dlq", "list"}, 1},
  };
  return rows;
}

class CliExitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = MakeTempDir("cli-exit");
    server_ = "http://127.0.0.1:" + std::to_string(FreePort());
  }
  int Ebb(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), EbbBinary());
    return RunCommand(args, out,
                      {{"EBB_DATA_DIR", data_dir_},
                       {"EBB_SERVER", server_},
                       {"EBB_TOKEN", ""},
                       {"AMQP_URL", ""}});
  }
  std::string data_dir_, server_;
};

TEST_F(CliExitTest, EveryCommandExitsOneWhenEbbUpCannotBeReached) {
  for (const Row& row : Table()) {
    std::string out;
    EXPECT_EQ(Ebb(row.args, &out), row.unreachable)
        << absl::StrJoin(row.args, " ") << ":\n"
        << out;
    EXPECT_TRUE(absl::StrContains(out, "error: ")) << out;
    EXPECT_TRUE(absl::StrContains(out, server_.substr(7)))
        << "names the server: " << out;
    EXPECT_FALSE(absl::StrContains(out, "{\"error\"")) << "raw JSON: " << out;
  }
}

TEST_F(CliExitTest, EveryCommandExitsTwoOnAUsageError) {
  for (const Row& row : Table()) {
    std::vector<std::string> args = row.args;
    args.push_back("--no-such-flag");
    std::string out;
    EXPECT_EQ(Ebb(args, &out), 2) << absl::StrJoin(args, " ") << ":\n" << out;
  }
  // Missing required arguments, bad values.
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"get"},
                                             {"wait"},
                                             {"cancel"},
                                             {"delete"},
                                             {"logs"},
                                             {"requests", "--limit", "0"},
                                             {"requests", "-o", "yaml"},
                                             {"wait", "x", "--timeout", "-1"},
                                             {"nosuch"},
                                             {}}) {
    std::string out;
    EXPECT_EQ(Ebb(args, &out), 2) << absl::StrJoin(args, " ") << ":\n" << out;
  }
}

TEST_F(CliExitTest, UsageLineNamesEbbNotTheBuildPath) {
  std::string out;
  ASSERT_EQ(Ebb({"get", "--help"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "Usage: ebb get")) << out;
  EXPECT_FALSE(absl::StrContains(out, EbbBinary())) << out;
  ASSERT_EQ(Ebb({"--help"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "Usage: ebb ")) << out;
}

}  // namespace
}  // namespace ebb::testing
