// SPDX-License-Identifier: Apache-2.0
#include "spec/yaml_json.h"

#include <gtest/gtest.h>

namespace ebb::spec {
namespace {

TEST(YamlJsonTest, QuotedScalarsStayStringsPlainOnesAreTyped) {
  auto json = YamlTextToJson(
      "a: '1'\nb: 1\nc: \"true\"\nd: true\ne: x\nf: !!str 5\ng: ~\nh: 1.5\n"
      "i: ''\nj: [1, '2']\nk: {}\nl: 0x1F\n");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            R"({"a":"1","b":1,"c":"true","d":true,"e":"x","f":"5","g":null,)"
            R"("h":1.5,"i":"","j":[1,"2"],"k":{},"l":"0x1F"})");
}

TEST(YamlJsonTest, BadYamlIsInvalidArgument) {
  EXPECT_EQ(YamlTextToJson("a: [").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ebb::spec
