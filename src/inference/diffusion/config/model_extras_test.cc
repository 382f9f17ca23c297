// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/config/model_extras.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"

namespace ebb::inference::diffusion {
namespace {

std::string Folder(const std::string& index) {
  const std::string dir = testing::MakeTempDir("extras");
  std::ofstream(dir + "/model_index.json") << index;
  return dir;
}

TEST(ModelExtrasTest, ReadsEveryField) {
  auto x = ReadModelExtras(Folder(R"({"_class_name": "StableDiffusionPipeline",
    "ebb": {"native_width": 32, "native_height": 48, "default_steps": 20,
            "default_guidance_scale": 3.5,
            "example_prompts": ["a red circle on a blue background"]}})"));
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_TRUE(x->native.has_value());
  EXPECT_EQ(x->native->width, 32);
  EXPECT_EQ(x->native->height, 48);
  EXPECT_EQ(x->default_steps, 20);
  EXPECT_EQ(x->default_guidance_scale, 3.5);
  EXPECT_EQ(x->example_prompts,
            std::vector<std::string>{"a red circle on a blue background"});
}

TEST(ModelExtrasTest, NoKeyNoFolderOrAFileHaveNone) {
  for (const std::string& path :
       {Folder(R"({"_class_name": "StableDiffusionPipeline"})"),
        testing::MakeTempDir("empty"),
        std::string("/nonexistent/x.safetensors")}) {
    auto x = ReadModelExtras(path);
    ASSERT_TRUE(x.ok()) << x.status();
    EXPECT_FALSE(x->native.has_value());
    EXPECT_FALSE(x->default_steps.has_value());
    EXPECT_FALSE(x->default_guidance_scale.has_value());
    EXPECT_TRUE(x->example_prompts.empty());
  }
}

TEST(ModelExtrasTest, MalformedValuesNameTheFieldAndTheRange) {
  struct Case {
    const char* ebb;
    const char* field;
  } cases[] = {
      {R"({"native_width": 32})", "native_height"},
      {R"({"native_width": 30, "native_height": 32})", "native_width"},
      {R"({"native_width": 4096, "native_height": 32})", "native_width"},
      {R"({"default_steps": 0})", "default_steps"},
      {R"({"default_steps": 2.5})", "default_steps"},
      {R"({"default_guidance_scale": "high"})", "default_guidance_scale"},
      {R"({"example_prompts": "a cat"})", "example_prompts"},
      {R"({"example_prompts": [""]})", "example_prompts"},
  };
  for (const Case& c : cases) {
    auto x = ReadModelExtras(Folder(std::string(R"({"ebb": )") + c.ebb + "}"));
    ASSERT_FALSE(x.ok()) << c.ebb;
    EXPECT_TRUE(absl::IsInvalidArgument(x.status()));
    EXPECT_TRUE(absl::StrContains(x.status().message(), c.field)) << x.status();
    EXPECT_TRUE(absl::StrContains(x.status().message(), "model_index.json"))
        << x.status();
  }
}

}  // namespace
}  // namespace ebb::inference::diffusion
