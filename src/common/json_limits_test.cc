// SPDX-License-Identifier: Apache-2.0
#include "common/json_limits.h"

#include <string>

#include "gtest/gtest.h"

namespace ebb {
namespace {

TEST(JsonLimitsTest, CountsNestingOfArraysAndObjects) {
  EXPECT_EQ(JsonNestingDepth("1"), 0);
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": []}], "c": {}})"), 4);
  EXPECT_EQ(JsonNestingDepth("[[]][[[]]]"), 3);
}

TEST(JsonLimitsTest, IgnoresBracketsInsideStringsAndEscapes) {
  EXPECT_EQ(JsonNestingDepth(R"({"p": "[[[{{{", "q": "\"[[[\\"})"), 1);
}

TEST(JsonLimitsTest, StopsEarlyOnAHundredThousandLevelsWithoutRecursion) {
  const std::string deep =
      "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(JsonNestingDepth(deep), kMaxJsonNesting + 1);
  EXPECT_FALSE(JsonNestingWithin(deep));
  EXPECT_TRUE(JsonNestingWithin(R"({"prompt": "a cat"})"));
}

}  // namespace
}  // namespace ebb
