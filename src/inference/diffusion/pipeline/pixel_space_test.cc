// SPDX-License-Identifier: Apache-2.0
//
// A diffusers folder without a VAE (model_index.json has no "vae" entry, no
// vae/ folder) runs in pixel space: the UNet denoises RGB directly.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/pipeline/pipeline.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

template <typename Net, typename Config>
void WriteRandom(const fs::path& p, const Config& c) {
  SpecRecorder rec;
  ASSERT_TRUE(Net::Load(rec, c).ok());
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  std::vector<TensorToWrite> out;
  for (const auto& s : rec.specs()) {
    int64_t numel = 1;
    for (int64_t d : s.shape) numel *= d;
    std::vector<float> v(numel);
    for (auto& x : v) x = normal(rng);
    out.push_back(
        {s.name, DType::kF32, s.shape, *EncodeFloats(v, DType::kF32)});
  }
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(WriteSafetensors(p.string(), out).ok());
}

// Writes a pixel-space folder whose UNet has `channels` in and out.
fs::path WriteFolder(const std::string& tag, int channels) {
  const fs::path d = fs::temp_directory_path() /
                     ("ebb_pixel_" + tag + std::to_string(::getpid()));
  WriteText(d / "model_index.json",
            R"({"_class_name": "StableDiffusionPipeline",
                "unet": ["diffusers", "UNet2DConditionModel"]})");
  fs::create_directories(d / "tokenizer");
  fs::copy_file(EBB_CLIP_MERGES, d / "tokenizer/merges.txt",
                fs::copy_options::overwrite_existing);
  WriteText(d / "scheduler/scheduler_config.json",
            R"({"_class_name": "DDIMScheduler", "beta_schedule": "linear",
                "timestep_spacing": "trailing"})");
  const std::string te = R"({"hidden_size": 32, "intermediate_size": 64,
      "num_hidden_layers": 1, "num_attention_heads": 2, "hidden_act": "gelu"})";
  const std::string unet = R"({"block_out_channels": [16, 32],
      "layers_per_block": 1, "in_channels": )" +
                           std::to_string(channels) + R"(, "out_channels": )" +
                           std::to_string(channels) +
                           R"(, "down_block_types": ["DownBlock2D",
      "CrossAttnDownBlock2D"], "up_block_types": ["CrossAttnUpBlock2D",
      "UpBlock2D"], "attention_head_dim": [1, 2], "cross_attention_dim": 32,
      "norm_num_groups": 8, "use_linear_projection": true})";
  WriteText(d / "text_encoder/config.json", te);
  WriteText(d / "unet/config.json", unet);
  WriteRandom<ClipTextEncoder>(d / "text_encoder/model.safetensors",
                               *ParseClipTextConfig(te));
  WriteRandom<UNet>(d / "unet/diffusion_pytorch_model.safetensors",
                    *ParseUNetConfig(unet));
  return d;
}

TEST(PixelSpaceTest, FolderWithoutVaeGeneratesRgbAtTheRequestedSize) {
  const fs::path d = WriteFolder("ok", 3);
  auto p = Pipeline::Load(d.string());
  ASSERT_TRUE(p.ok()) << p.status();
  PipelineRequest r;
  r.prompt = "a red circle";
  r.width = 32;
  r.height = 16;
  r.steps = 3;
  r.guidance_scale = 2.0;
  auto a = (*p)->Generate(r, {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->width, 32);
  EXPECT_EQ(a->height, 16);
  EXPECT_EQ(a->rgb.size(), 32u * 16 * 3);
  EXPECT_EQ(a->scheduler, "ddim");
  auto b = (*p)->Generate(r, {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->rgb, b->rgb);
  r.width = 12;  // not a multiple of 8
  EXPECT_EQ((*p)->Generate(r, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  fs::remove_all(d);
}

TEST(PixelSpaceTest, LatentUNetWithoutVaeIsAClearError) {
  const fs::path d = WriteFolder("bad", 4);
  auto p = Pipeline::Load(d.string());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("no vae"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace ebb::inference::diffusion
