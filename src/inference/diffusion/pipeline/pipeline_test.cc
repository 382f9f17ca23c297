// SPDX-License-Identifier: Apache-2.0
//
// The pipeline end to end on a tiny diffusers folder with random weights that
// the test writes (CLIP's real merges, tiny text encoder, UNet and VAE).
#include "inference/diffusion/pipeline/pipeline.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/random_weights.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

template <typename Net, typename Config>
void WriteRandom(const fs::path& p, const Config& c, uint32_t seed) {
  ASSERT_TRUE(WriteRandomWeights<Net>(p, c, {.seed = seed}).ok());
}

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("ebb_pipe_" + std::to_string(::getpid())));
    const fs::path& d = *dir_;
    WriteText(d / "model_index.json",
              R"({"_class_name": "StableDiffusionPipeline"})");
    fs::create_directories(d / "tokenizer");
    fs::copy_file(EBB_CLIP_MERGES, d / "tokenizer/merges.txt");
    WriteText(d / "tokenizer/special_tokens_map.json", R"({"pad_token": "!"})");
    WriteText(
        d / "scheduler/scheduler_config.json",
        R"({"_class_name": "EulerDiscreteScheduler", "beta_start": 0.00085,
                  "beta_end": 0.012, "beta_schedule": "scaled_linear",
                  "timestep_spacing": "trailing", "steps_offset": 1,
                  "set_alpha_to_one": false})");
    WriteText(d / "text_encoder/config.json",
              R"({"hidden_size": 32, "intermediate_size": 64,
                  "num_hidden_layers": 2, "num_attention_heads": 4,
                  "hidden_act": "gelu"})");
    WriteText(d / "unet/config.json",
              R"({"block_out_channels": [32, 64], "layers_per_block": 1,
                  "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
                  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
                  "attention_head_dim": [2, 4], "cross_attention_dim": 32,
                  "norm_num_groups": 8, "use_linear_projection": true})");
    WriteText(d / "vae/config.json",
              R"({"block_out_channels": [16, 32], "layers_per_block": 1,
                  "norm_num_groups": 8, "latent_channels": 4})");
    WriteRandom<ClipTextEncoder>(
        d / "text_encoder/model.safetensors",
        *ParseClipTextConfig(ReadAll(d / "text_encoder/config.json")), 1);
    WriteRandom<UNet>(d / "unet/diffusion_pytorch_model.fp16.safetensors",
                      *ParseUNetConfig(ReadAll(d / "unet/config.json")), 2);
    WriteRandom<VaeDecoder>(d / "vae/diffusion_pytorch_model.safetensors",
                            *ParseVaeConfig(ReadAll(d / "vae/config.json")), 3);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string ReadAll(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static std::unique_ptr<Pipeline> Load() {
    auto p = Pipeline::Load(dir_->string());
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }
  static PipelineRequest Request() {
    PipelineRequest r;
    r.prompt = "a photo of a cat";
    r.width = 64;
    r.height = 64;
    r.seed = 7;
    return r;
  }
  static fs::path* dir_;
};
fs::path* PipelineTest::dir_ = nullptr;

TEST_F(PipelineTest, SameRequestSamePixelsOtherSeedOtherPixels) {
  auto p = Load();
  ASSERT_NE(p, nullptr);
  auto a = p->Generate(Request(), {});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->width, 64);
  EXPECT_EQ(a->height, 64);
  EXPECT_EQ(a->rgb.size(), 64u * 64 * 3);
  EXPECT_EQ(a->scheduler, "euler");
  EXPECT_EQ(a->prompt_tokens, 5);
  EXPECT_FALSE(a->truncated);
  EXPECT_EQ(a->timings.step_ms.size(), 1u);
  auto b = Load()->Generate(Request(), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->rgb, b->rgb);
  PipelineRequest other = Request();
  other.seed = 8;
  EXPECT_NE(p->Generate(other, {})->rgb, a->rgb);
}

TEST_F(PipelineTest, GuidanceSchedulersAndProgress) {
  auto p = Load();
  ASSERT_NE(p, nullptr);
  auto plain = p->Generate(Request(), {});
  PipelineRequest cfg = Request();
  cfg.guidance_scale = 5;
  cfg.negative_prompt = "blurry";
  auto guided = p->Generate(cfg, {});
  ASSERT_TRUE(guided.ok()) << guided.status();
  EXPECT_NE(guided->rgb, plain->rgb);
  for (const char* s : {"euler", "euler_a", "ddim", "lcm"}) {
    PipelineRequest r = Request();
    r.scheduler = s;
    r.steps = 3;
    int calls = 0;
    auto out = p->Generate(r, [&](int done, int total) {
      EXPECT_EQ(done, ++calls);
      EXPECT_EQ(total, 3);
      return true;
    });
    ASSERT_TRUE(out.ok()) << s << ": " << out.status();
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(out->scheduler, s);
  }
  PipelineRequest r = Request();
  r.steps = 4;
  auto stopped = p->Generate(r, [](int done, int) { return done < 2; });
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(PipelineTest, BadRequestsFailBeforeCompute) {
  auto p = Load();
  ASSERT_NE(p, nullptr);
  auto err = [&](auto edit) {
    PipelineRequest r = Request();
    edit(r);
    auto out = p->Generate(r, [](int, int) {
      ADD_FAILURE() << "computed a bad request";
      return true;
    });
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(out.status().message());
  };
  EXPECT_THAT(err([](auto& r) { r.width = 100; }), HasSubstr("multiple of 8"));
  EXPECT_THAT(err([](auto& r) { r.height = 4096; }), HasSubstr("height"));
  EXPECT_THAT(err([](auto& r) { r.steps = 0; }), HasSubstr("steps"));
  EXPECT_THAT(err([](auto& r) { r.scheduler = "dpm"; }), HasSubstr("euler_a"));
  EXPECT_THAT(err([](auto& r) { r.guidance_scale = -1; }),
              HasSubstr("guidance"));
}

TEST_F(PipelineTest, FolderErrorsAreClear) {
  EXPECT_EQ(Pipeline::Load((*dir_ / "none").string()).status().code(),
            absl::StatusCode::kNotFound);
  fs::path bad = dir_->string() + "_bad";
  fs::copy(*dir_, bad, fs::copy_options::recursive);
  fs::rename(bad / "unet/diffusion_pytorch_model.fp16.safetensors",
             bad / "unet/diffusion_pytorch_model.bin");
  std::ofstream(bad / "unet/diffusion_pytorch_model.bin") << "PK\x03\x04zip";
  auto pickle = Pipeline::Load(bad.string());
  ASSERT_FALSE(pickle.ok());
  EXPECT_THAT(pickle.status().message(), HasSubstr("runs code"));
  fs::remove(bad / "unet/diffusion_pytorch_model.bin");
  EXPECT_THAT(Pipeline::Load(bad.string()).status().message(),
              HasSubstr("no unet/diffusion_pytorch_model.safetensors"));
  WriteText(bad / "model_index.json",
            R"({"_class_name": "StableDiffusionXLPipeline"})");
  auto sdxl = Pipeline::Load(bad.string());
  EXPECT_EQ(sdxl.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(sdxl.status().message(), HasSubstr("not supported yet"));
  fs::remove_all(bad);
}

}  // namespace
}  // namespace ebb::inference::diffusion
