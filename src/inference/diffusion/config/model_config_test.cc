// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/config/model_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// SD 1.5's unet/config.json (values of the reference note, section 3.2).
constexpr const char* kSd15Unet = R"({
  "_class_name": "UNet2DConditionModel", "act_fn": "silu",
  "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
  "center_input_sample": false, "cross_attention_dim": 768,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                       "CrossAttnDownBlock2D", "DownBlock2D"],
  "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0,
  "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1,
  "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4,
  "sample_size": 64,
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                     "CrossAttnUpBlock2D"]})";

TEST(ModelConfigTest, Sd15UNet) {
  auto c = ParseUNetConfig(kSd15Unet);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cross_attention_dim, 768);
  EXPECT_THAT(c->num_attention_heads, ElementsAre(8, 8, 8, 8));
  EXPECT_THAT(c->down_cross_attention, ElementsAre(true, true, true, false));
  EXPECT_THAT(c->up_cross_attention, ElementsAre(false, true, true, true));
  EXPECT_FALSE(c->use_linear_projection);
  EXPECT_EQ(c->sample_size, 64);
}

TEST(ModelConfigTest, SdTurboUNetHeadsPerBlock) {
  std::string json = kSd15Unet;
  json.replace(json.find("\"attention_head_dim\": 8"), 23,
               "\"attention_head_dim\": [5, 10, 20, 20], "
               "\"use_linear_projection\": true, \"upcast_attention\": false");
  json.replace(json.find("768"), 3, "1024");
  auto c = ParseUNetConfig(json);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->num_attention_heads, ElementsAre(5, 10, 20, 20));
  EXPECT_TRUE(c->use_linear_projection);
  EXPECT_EQ(c->cross_attention_dim, 1024);
}

TEST(ModelConfigTest, SdxlAndOtherArchitecturesAreRefused) {
  std::string sdxl = std::string(kSd15Unet);
  sdxl.insert(1, R"("addition_embed_type": "text_time", )");
  auto c = ParseUNetConfig(sdxl);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("SDXL is not supported yet"));

  std::string flux = std::string(kSd15Unet);
  flux.replace(flux.find("\"DownBlock2D\"]"), 13, "\"SimpleDownBlock2D\"");
  EXPECT_THAT(ParseUNetConfig(flux).status().message(),
              HasSubstr("SimpleDownBlock2D"));
  EXPECT_FALSE(ParseUNetConfig("[]").ok());
  EXPECT_FALSE(ParseUNetConfig(R"({"block_out_channels": [30]})").ok());
  EXPECT_THAT(
      ParseUNetConfig(R"({"layers_per_block": "2"})").status().message(),
      HasSubstr("wrong type"));
}

TEST(ModelConfigTest, ClipTextEncoders) {
  auto sd15 = ParseClipTextConfig(R"({"hidden_act": "quick_gelu",
      "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
      "num_hidden_layers": 12, "projection_dim": 768, "vocab_size": 49408})");
  ASSERT_TRUE(sd15.ok()) << sd15.status();
  EXPECT_EQ(sd15->hidden_size, 768);
  EXPECT_EQ(sd15->hidden_act, "quick_gelu");
  auto turbo = ParseClipTextConfig(R"({"hidden_act": "gelu",
      "hidden_size": 1024, "intermediate_size": 4096,
      "num_attention_heads": 16, "num_hidden_layers": 23})");
  ASSERT_TRUE(turbo.ok());
  EXPECT_EQ(turbo->num_hidden_layers, 23);
  EXPECT_THAT(
      ParseClipTextConfig(R"({"hidden_act": "relu"})").status().message(),
      HasSubstr("relu"));
  EXPECT_FALSE(
      ParseClipTextConfig(R"({"hidden_size": 100, "num_attention_heads": 3})")
          .ok());
}

TEST(ModelConfigTest, Vae) {
  auto c = ParseVaeConfig(R"({"_class_name": "AutoencoderKL",
      "block_out_channels": [128, 256, 512, 512], "latent_channels": 4,
      "layers_per_block": 2, "norm_num_groups": 32, "sample_size": 512,
      "scaling_factor": 0.18215,
      "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D",
                         "UpDecoderBlock2D", "UpDecoderBlock2D"]})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->block_out_channels, ElementsAre(128, 256, 512, 512));
  EXPECT_DOUBLE_EQ(c->scaling_factor, 0.18215);
  EXPECT_THAT(ParseVaeConfig(R"({"shift_factor": 0.1159})").status().message(),
              HasSubstr("shift_factor"));
  EXPECT_FALSE(ParseVaeConfig(R"({"block_out_channels": [33]})").ok());
}

}  // namespace
}  // namespace ebb::inference::diffusion
