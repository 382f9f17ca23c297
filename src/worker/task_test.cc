// SPDX-License-Identifier: Apache-2.0
#include "worker/task.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ebb::worker {
namespace {

using ::testing::HasSubstr;

TEST(ParseTaskTest, DemoMessageGetsDefaults) {
  auto t = ParseTask(R"({"prompt": "Yellow submarine", "count": 2})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->prompt, "Yellow submarine");
  EXPECT_EQ(t->count, 2);
  EXPECT_EQ(t->id, "");
  EXPECT_FALSE(t->seed.has_value());
  EXPECT_EQ(t->steps, 1);
  EXPECT_EQ(t->width, 512);
  EXPECT_EQ(t->height, 512);
  EXPECT_EQ(t->guidance_scale, 1.0);
  EXPECT_EQ(ParseTask(R"({"prompt": "x"})")->count, 1);
}

TEST(ParseTaskTest, StepsAndGuidanceLeftOutAreTheGivenDefaults) {
  const TaskDefaults model{20, 3.0};
  auto t = ParseTask(R"({"prompt": "a red circle"})", model);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->steps, 20);
  EXPECT_EQ(t->guidance_scale, 3.0);
  t = ParseTask(R"({"prompt": "x", "steps": 2, "guidance_scale": 0})", model);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->steps, 2);
  EXPECT_EQ(t->guidance_scale, 0.0);
}

TEST(ParseTaskTest, LiteralQuotesInThePromptAreKept) {
  auto t = ParseTask(R"({"prompt": "\"a cat\"", "count": 1})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->prompt, "\"a cat\"");
}

TEST(ParseTaskTest, AllOptionalFields) {
  auto t = ParseTask(R"({"prompt": "p", "id": "req-1.a_B", "count": 4,
      "negative_prompt": "blur", "seed": 4294967295, "steps": 150,
      "width": 2048, "height": 64, "guidance_scale": 7.5, "model": "m",
      "unknown": {"ignored": true}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->id, "req-1.a_B");
  EXPECT_EQ(t->negative_prompt, "blur");
  EXPECT_EQ(t->seed, 4294967295u);
  EXPECT_EQ(t->steps, 150);
  EXPECT_EQ(t->width, 2048);
  EXPECT_EQ(t->height, 64);
  EXPECT_EQ(t->guidance_scale, 7.5);
  EXPECT_EQ(t->model, "m");
}

TEST(ParseTaskTest, NullsAndMinusOneSeedMeanAbsent) {
  auto t = ParseTask(
      R"({"prompt": "p", "count": null, "seed": -1, "negative_prompt": null})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->count, 1);
  EXPECT_FALSE(t->seed.has_value());
  EXPECT_EQ(ParseTask(R"({"prompt": "p", "count": 2.0})")->count, 2);
}

TEST(ParseTaskTest, ViolationsNameTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[1, 2]", "must be a JSON object"},
      {"{}", "prompt is missing"},
      {R"({"prompt": ""})", "prompt is empty"},
      {R"({"prompt": 5})", "prompt must be a string"},
      {R"({"prompt": "p", "count": 0})", "count 0 out of range (want 1..4)"},
      {R"({"prompt": "p", "count": 5})", "count 5 out of range"},
      {R"({"prompt": "p", "count": "2"})", "count must be an integer"},
      {R"({"prompt": "p", "count": 1.5})", "count must be an integer"},
      {R"({"prompt": "p", "steps": 151})", "steps 151 out of range"},
      {R"({"prompt": "p", "width": 100})", "width 100 is not a multiple of 8"},
      {R"({"prompt": "p", "height": 4096})", "height 4096 out of range"},
      {R"({"prompt": "p", "guidance_scale": 31})", "guidance_scale 31"},
      {R"({"prompt": "p", "guidance_scale": "x"})", "must be a number"},
      {R"({"prompt": "p", "seed": 4294967296})", "seed 4294967296 out of"},
      {R"({"prompt": "p", "seed": -2})", "seed -2 out of range"},
      {R"({"prompt": "p", "id": "a/../b"})", "id \"a/../b\" may hold only"},
      {R"({"prompt": "p", "id": ".x"})", "must not start with '.'"},
      {R"({"prompt": "p", "id": ""})", "id is empty"},
      {R"({"prompt": "p", "id": 7})", "id must be a string"},
  };
  for (const auto& [body, want] : cases) {
    auto t = ParseTask(body);
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_TRUE(absl::IsInvalidArgument(t.status())) << body;
    EXPECT_THAT(t.status().message(), HasSubstr("invalid task: ")) << body;
    EXPECT_THAT(t.status().message(), HasSubstr(want)) << body;
  }
}

TEST(ParseTaskTest, PromptLimitCountsCharactersNotBytes) {
  std::string ok;
  for (int i = 0; i < kMaxPromptChars; ++i) ok += "é";  // 2 bytes each
  EXPECT_TRUE(ParseTask(nlohmann::json{{"prompt", ok}}.dump()).ok());
  auto t = ParseTask(nlohmann::json{{"prompt", ok + "x"}}.dump());
  EXPECT_THAT(t.status().message(), HasSubstr("2001 characters (max 2000)"));
}

TEST(ParseTaskTest, InvalidUtf8IsRejected) {
  EXPECT_FALSE(ParseTask("{\"prompt\": \"\xff\xfe\"}").ok());
}

TEST(ParseTaskTest, SchedulerIsOneOfTheKnownOnesOrAbsent) {
  EXPECT_EQ(ParseTask(R"({"prompt": "x"})")->scheduler, "");
  EXPECT_EQ(ParseTask(R"({"prompt": "x", "scheduler": null})")->scheduler, "");
  for (const char* s : {"euler", "euler_a", "ddim", "lcm"}) {
    auto t = ParseTask(
        absl::StrCat(R"({"prompt": "x", "scheduler": ")", s, R"("})"));
    ASSERT_TRUE(t.ok()) << s << ": " << t.status();
    EXPECT_EQ(t->scheduler, s);
  }
  auto bad = ParseTask(R"({"prompt": "x", "scheduler": "dpm++"})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("scheduler \"dpm++\" is not one of euler, euler_a"));
  EXPECT_THAT(
      ParseTask(R"({"prompt": "x", "scheduler": 3})").status().message(),
      HasSubstr("scheduler must be a string"));
}

TEST(DeriveSeedTest, StablePerIdAnd32Bit) {
  EXPECT_EQ(DeriveSeed("abc"), DeriveSeed("abc"));
  EXPECT_NE(DeriveSeed("abc"), DeriveSeed("abd"));
  EXPECT_LE(DeriveSeed("abc"), 0xFFFFFFFFu);
}

TEST(WithIdTest, SetsIdAndKeepsFields) {
  auto body = WithId(R"({"prompt": "\"q\"", "count": 3, "extra": [1]})", "u1");
  ASSERT_TRUE(body.ok());
  auto j = nlohmann::json::parse(*body);
  EXPECT_EQ(j["id"], "u1");
  EXPECT_EQ(j["prompt"], "\"q\"");
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["extra"][0], 1);
  EXPECT_FALSE(WithId("[]", "u1").ok());
}

TEST(SalvageTaskTest, KeepsUsableIdAndPrompt) {
  Task t = SalvageTask(R"({"id": "r1", "prompt": "p", "count": 99})");
  EXPECT_EQ(t.id, "r1");
  EXPECT_EQ(t.prompt, "p");
  EXPECT_EQ(SalvageTask(R"({"id": "../x"})").id, "");
  EXPECT_EQ(SalvageTask("garbage").id, "");
}

}  // namespace
}  // namespace ebb::worker
