// SPDX-License-Identifier: Apache-2.0
//
// The pipeline on the formats and options beyond a plain diffusers folder:
// a single-file checkpoint gives the pixels of the folder holding the same
// weights (SD1-style and SGM/SD2-style tiny models), TAESD as the decoder,
// prediction type, dtype bf16, device and threads options, and clear errors.
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/random_weights.h"
#include "inference/diffusion/nets/taesd.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"
#include "inference/diffusion/pipeline/device_options.h"
#include "inference/diffusion/pipeline/pipeline.h"
#include "inference/diffusion/single_file/ldm_layout.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct TinyModel {
  fs::path folder;  // diffusers layout
  fs::path file;    // the same weights as one LDM single file
};

// Writes a tiny model of `family` both ways under `root`.
TinyModel WriteTiny(const fs::path& root, LdmFamily family, bool sgm) {
  const bool sd2 = family == LdmFamily::kSd2;
  TinyModel m{root / "folder", root / "model.safetensors"};
  const fs::path& d = m.folder;
  WriteText(d / "model_index.json",
            R"({"_class_name": "StableDiffusionPipeline"})");
  fs::create_directories(d / "tokenizer");
  fs::copy_file(EBB_CLIP_MERGES, d / "tokenizer/merges.txt");
  WriteText(
      d / "tokenizer/special_tokens_map.json",
      sd2 ? R"({"pad_token": "!"})" : R"({"pad_token": "<|endoftext|>"})");
  const std::string te_json = absl::StrCat(
      R"({"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
          "num_attention_heads": 1, "hidden_act": ")",
      sd2 ? "gelu" : "quick_gelu", R"("})");
  const std::string unet_json = absl::StrCat(
      R"({"layers_per_block": 1, "cross_attention_dim": 64,
          "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
          "norm_num_groups": 32, )",
      sd2 ? R"("block_out_channels": [64, 128], "attention_head_dim": [1, 2],
               "use_linear_projection": true})"
          : R"("block_out_channels": [32, 64], "attention_head_dim": 8,
               "use_linear_projection": false})");
  const std::string vae_json =
      R"({"block_out_channels": [32, 64], "layers_per_block": 1,
          "norm_num_groups": 32, "latent_channels": 4})";
  WriteText(d / "text_encoder/config.json", te_json);
  WriteText(d / "unet/config.json", unet_json);
  WriteText(d / "vae/config.json", vae_json);
  LdmArchitecture a = MakeLdmArchitecture(
      family, sgm, *ParseClipTextConfig(te_json), *ParseUNetConfig(unet_json),
      *ParseVaeConfig(vae_json));
  WriteText(d / "scheduler/scheduler_config.json", a.scheduler_json);
  auto te = *RandomWeights<ClipTextEncoder>(a.text, {.seed = 1});
  auto un = *RandomWeights<UNet>(a.unet, {.seed = 2});
  auto va = *RandomWeights<VaeDecoder>(a.vae, {.seed = 3});
  EXPECT_TRUE(
      WriteSafetensors((d / "text_encoder/model.safetensors").string(), te)
          .ok());
  EXPECT_TRUE(WriteSafetensors(
                  (d / "unet/diffusion_pytorch_model.safetensors").string(), un)
                  .ok());
  EXPECT_TRUE(WriteSafetensors(
                  (d / "vae/diffusion_pytorch_model.safetensors").string(), va)
                  .ok());
  auto single = ToLdmTensors(a, te, un, va);
  EXPECT_TRUE(single.ok()) << single.status();
  EXPECT_TRUE(WriteSafetensors(m.file.string(), *single).ok());
  return m;
}

// A tiny TAESD (2 stages: x2, as the tiny VAE) in DIR.
void WriteTinyTaesd(const fs::path& dir) {
  const std::string json =
      R"({"_class_name": "AutoencoderTiny", "latent_channels": 4,
          "decoder_block_out_channels": [16, 16],
          "num_decoder_blocks": [2, 1]})";
  WriteText(dir / "config.json", json);
  EXPECT_TRUE(
      WriteSafetensors(
          (dir / "diffusion_pytorch_model.safetensors").string(),
          *RandomWeights<TaesdDecoder>(*ParseTaesdConfig(json), {.seed = 4}))
          .ok());
}

class PipelineFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ebb_pipefmt_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static PipelineRequest Request() {
    PipelineRequest r;
    r.prompt = "a photo of a cat";
    r.width = 64;
    r.height = 64;
    r.seed = 7;
    r.steps = 2;
    return r;
  }
  static absl::StatusOr<PipelineResult> Run(const fs::path& model,
                                            const PipelineOptions& o = {},
                                            PipelineRequest r = Request()) {
    auto p = Pipeline::Load(model.string(), o);
    if (!p.ok()) return p.status();
    return (*p)->Generate(r, {});
  }

  fs::path root_;
};

TEST_F(PipelineFormatsTest, SingleFileGivesTheFolderPixels) {
  for (auto [family, sgm] :
       {std::pair{LdmFamily::kSd1, false}, {LdmFamily::kSd2, true}}) {
    fs::path root = root_ / (sgm ? "sgm" : "sd1");
    TinyModel m = WriteTiny(root, family, sgm);
    auto folder = Run(m.folder);
    ASSERT_TRUE(folder.ok()) << folder.status();
    auto single = Run(m.file);
    ASSERT_TRUE(single.ok()) << single.status();
    EXPECT_EQ(single->rgb, folder->rgb) << (sgm ? "sgm" : "sd1");
    EXPECT_EQ(single->scheduler, "euler");
    EXPECT_EQ(single->rgb.size(), 64u * 64 * 3);
    // Guidance batches the negative prompt: the pad id matters there too.
    PipelineRequest cfg = Request();
    cfg.guidance_scale = 4;
    EXPECT_EQ(Run(m.file, {}, cfg)->rgb, Run(m.folder, {}, cfg)->rgb);
  }
}

TEST_F(PipelineFormatsTest, PredictionTypeFromOptionOrSiblingYaml) {
  TinyModel m = WriteTiny(root_, LdmFamily::kSd2, false);
  auto eps = Run(m.file);
  ASSERT_TRUE(eps.ok()) << eps.status();
  PipelineOptions v;
  v.prediction_type = "v_prediction";
  auto vpred = Run(m.file, v);
  ASSERT_TRUE(vpred.ok()) << vpred.status();
  EXPECT_NE(vpred->rgb, eps->rgb);
  WriteText(root_ / "model.yaml",
            "model:\n  params:\n    parameterization: \"v\"\n");
  EXPECT_EQ(Run(m.file)->rgb, vpred->rgb);
  PipelineOptions e;
  e.prediction_type = "epsilon";  // the option wins over the yaml
  EXPECT_EQ(Run(m.file, e)->rgb, eps->rgb);
  e.prediction_type = "sample_x";
  EXPECT_THAT(Run(m.file, e).status().message(), HasSubstr("v_prediction"));
}

TEST_F(PipelineFormatsTest, TaesdBesideTheModelOrNamedDecodes) {
  TinyModel m = WriteTiny(root_, LdmFamily::kSd1, false);
  auto vae = Run(m.folder);
  ASSERT_TRUE(vae.ok()) << vae.status();
  fs::path elsewhere = root_ / "my-taesd";
  WriteTinyTaesd(elsewhere);
  PipelineOptions named;
  named.vae_decoder = "taesd=" + elsewhere.string();
  auto taesd = Run(m.folder, named);
  ASSERT_TRUE(taesd.ok()) << taesd.status();
  EXPECT_EQ(taesd->rgb.size(), vae->rgb.size());
  EXPECT_NE(taesd->rgb, vae->rgb);
  fs::copy(elsewhere, root_ / "taesd");  // beside folder and file
  EXPECT_EQ(Run(m.folder)->rgb, taesd->rgb);
  EXPECT_EQ(Run(m.file)->rgb, taesd->rgb);
  PipelineOptions force_vae;
  force_vae.vae_decoder = "vae";
  EXPECT_EQ(Run(m.file, force_vae)->rgb, vae->rgb);
  PipelineOptions missing;
  missing.vae_decoder = "taesd=" + (root_ / "none").string();
  EXPECT_EQ(Run(m.folder, missing).status().code(),
            absl::StatusCode::kNotFound);
  missing.vae_decoder = "tiny";
  EXPECT_THAT(Run(m.folder, missing).status().message(),
              HasSubstr("taesd=DIR"));
}

TEST_F(PipelineFormatsTest, Bf16WhereNativeElseFailedPrecondition) {
  EXPECT_TRUE(CheckNativeBf16("flags\t\t: fpu avx2 avx512_bf16 vnni\n").ok());
  EXPECT_TRUE(CheckNativeBf16("flags\t: sse amx_bf16 amx_tile\n").ok());
  auto none = CheckNativeBf16("flags\t\t: fpu avx2 avx512f\nbugs: x\n");
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.message(), HasSubstr("avx512_bf16"));

  TinyModel m = WriteTiny(root_, LdmFamily::kSd1, false);
  auto f32 = Run(m.file);
  ASSERT_TRUE(f32.ok()) << f32.status();
  PipelineOptions o;
  o.dtype = "bf16";
  std::ifstream in("/proc/cpuinfo");
  std::string cpuinfo(std::istreambuf_iterator<char>(in), {});
  auto bf16 = Run(m.file, o);
  if (!CheckNativeBf16(cpuinfo).ok()) {
    EXPECT_EQ(bf16.status().code(), absl::StatusCode::kFailedPrecondition);
    GTEST_SKIP() << "this CPU has no native bf16; the refusal was checked";
  }
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  ASSERT_EQ(bf16->rgb.size(), f32->rgb.size());
  double diff = 0;
  for (size_t i = 0; i < f32->rgb.size(); ++i) {
    diff += std::abs(int(bf16->rgb[i]) - int(f32->rgb[i]));
  }
  diff /= f32->rgb.size();
  EXPECT_LT(diff, 12.0) << "mean |bf16 - f32| per channel, of 255";
  EXPECT_NE(bf16->rgb, f32->rgb);  // it did compute in bf16
}

TEST_F(PipelineFormatsTest, DeviceAndThreadsOptions) {
  TinyModel m = WriteTiny(root_, LdmFamily::kSd1, false);
  PipelineOptions o;
  o.device = "gpu";
  o.threads = 1;
  auto gpu = Run(m.file, o);
  ASSERT_TRUE(gpu.ok()) << gpu.status();
  EXPECT_EQ(at::get_num_threads(), 1);
  if (!at::hasCUDA()) {
    EXPECT_EQ(gpu->device, "cpu");
    o.device = "cuda";
    auto cuda = Run(m.file, o);
    EXPECT_EQ(cuda.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(cuda.status().message(), HasSubstr("docs/models.md"));
  }
  o.device = "tpu";
  EXPECT_THAT(Run(m.file, o).status().message(), HasSubstr("cpu, cuda, gpu"));
  o.device = "cpu";
  o.dtype = "f16";
  EXPECT_THAT(Run(m.file, o).status().message(), HasSubstr("f32, bf16"));
  o.dtype = "f32";
  o.threads = -2;
  EXPECT_EQ(Run(m.file, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PipelineFormatsTest, SingleFileErrorsAreClear) {
  auto none = Pipeline::Load((root_ / "none.safetensors").string());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("does not exist"));
  std::ofstream(root_ / "model.ckpt") << "\x80\x02}q\x00.";
  EXPECT_THAT(
      Pipeline::Load((root_ / "model.ckpt").string()).status().message(),
      HasSubstr("runs code"));
  ASSERT_TRUE(WriteSafetensors((root_ / "flux.safetensors").string(),
                               {{"double_blocks.0.img_mod.lin.weight",
                                 DType::kF32,
                                 {1},
                                 std::string(4, '\0')}})
                  .ok());
  auto flux = Pipeline::Load((root_ / "flux.safetensors").string());
  EXPECT_EQ(flux.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(flux.status().message(), HasSubstr("Flux"));
}

}  // namespace
}  // namespace ebb::inference::diffusion
