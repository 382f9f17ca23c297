// SPDX-License-Identifier: Apache-2.0
//
// Tiny random SD1-style and SD2-style models written in the diffusers layout
// and, with the same weights, as one LDM single file: the networks loaded
// from the single file give exactly the diffusers outputs, the architecture
// is inferred from names and shapes alone, and broken files fail clearly.
// EBB_TEST_SD15_FILE=PATH also loads a full-size SD 1.5 file (e.g. the one
// ../shared/peers/sdcpp/make_random_sd15.py writes) and checks that every
// tensor is read or known-unused.
#include "inference/diffusion/single_file/ldm_checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/random_weights.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

at::Tensor Random(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen, at::kFloat);
}

struct Outputs {
  at::Tensor text, eps, image;
};

Outputs RunNets(ParamSource& te, ParamSource& un, ParamSource& va,
                const LdmArchitecture& a) {
  c10::InferenceMode guard;
  Outputs o;
  auto enc = ClipTextEncoder::Load(te, a.text);
  EXPECT_TRUE(enc.ok()) << enc.status();
  auto unet = UNet::Load(un, a.unet);
  EXPECT_TRUE(unet.ok()) << unet.status();
  auto vae = VaeDecoder::Load(va, a.vae);
  EXPECT_TRUE(vae.ok()) << vae.status();
  if (!enc.ok() || !unet.ok() || !vae.ok()) return o;
  at::Tensor ids = at::arange(0, 12, at::kLong).reshape({2, 6}) % 50;
  o.text = *enc->Forward(ids);
  o.eps = *unet->Forward(Random({2, 4, 8, 8}, 1), at::tensor({999.0f, 10.0f}),
                         o.text);
  o.image = *vae->Decode(Random({1, 4, 4, 4}, 2));
  return o;
}

class LdmCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ebb_ldm_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `a`'s networks both ways; returns the single file's path and
  // fills `expected` with the diffusers-loaded outputs.
  std::string WriteBoth(const LdmArchitecture& a, Outputs* expected,
                        DType single_dtype = DType::kF32,
                        const std::string& drop = "",
                        const std::string& reshape = "") {
    auto te = *RandomWeights<ClipTextEncoder>(
        a.text, {.seed = 1, .exact_in_half = true});
    auto un = *RandomWeights<UNet>(a.unet, {.seed = 2, .exact_in_half = true});
    auto va =
        *RandomWeights<VaeDecoder>(a.vae, {.seed = 3, .exact_in_half = true});
    std::vector<std::unique_ptr<WeightStore>> stores;
    for (auto [name, tensors] :
         {std::pair{"te", &te}, {"unet", &un}, {"vae", &va}}) {
      std::string p = (dir_ / (std::string(name) + ".safetensors")).string();
      EXPECT_TRUE(WriteSafetensors(p, *tensors).ok());
      stores.push_back(*WeightStore::Open({p}));
    }
    *expected = RunNets(*stores[0], *stores[1], *stores[2], a);
    auto cast = [&](std::vector<TensorToWrite>& ts) {
      for (auto& t : ts) {
        std::vector<float> v(t.bytes.size() / 4);
        std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
        t.dtype = single_dtype;
        t.bytes = *EncodeFloats(v, single_dtype);
      }
    };
    cast(te), cast(un), cast(va);
    auto ldm = ToLdmTensors(a, te, un, va);
    EXPECT_TRUE(ldm.ok()) << ldm.status();
    std::vector<TensorToWrite> kept;
    for (auto& t : *ldm) {
      if (t.name == drop) continue;
      if (t.name == reshape) t.shape.push_back(1);
      kept.push_back(t);
    }
    std::string path = (dir_ / "model.safetensors").string();
    EXPECT_TRUE(WriteSafetensors(path, kept).ok());
    return path;
  }

  fs::path dir_;
};

LdmArchitecture Sd1Tiny() {
  ClipTextConfig t;
  t.vocab_size = 100;
  t.hidden_size = 64;
  t.intermediate_size = 128;
  t.num_hidden_layers = 2;
  t.max_position_embeddings = 16;
  UNetConfig u;
  u.block_out_channels = {32, 64};
  u.down_cross_attention = {true, false};
  u.up_cross_attention = {false, true};
  u.layers_per_block = 1;
  u.cross_attention_dim = 64;
  u.norm_num_groups = 32;
  u.use_linear_projection = false;
  VaeConfig v;
  v.block_out_channels = {32, 64};
  v.layers_per_block = 1;
  v.norm_num_groups = 32;
  return MakeLdmArchitecture(LdmFamily::kSd1, false, t, u, v);
}

LdmArchitecture Sd2Tiny(bool sgm) {
  LdmArchitecture a = Sd1Tiny();
  a.unet.block_out_channels = {64, 64, 128};
  a.unet.down_cross_attention = {true, true, false};
  a.unet.up_cross_attention = {false, true, true};
  a.unet.layers_per_block = 2;
  a.unet.use_linear_projection = true;
  a.vae.block_out_channels = {32, 32, 64};
  a.vae.layers_per_block = 2;
  return MakeLdmArchitecture(LdmFamily::kSd2, sgm, a.text, a.unet, a.vae);
}

void ExpectSameArchitecture(const LdmArchitecture& got,
                            const LdmArchitecture& want) {
  EXPECT_EQ(got.family, want.family);
  EXPECT_EQ(got.sgm, want.sgm);
  EXPECT_EQ(got.pad_id, want.pad_id);
  EXPECT_EQ(got.scheduler_json, want.scheduler_json);
  EXPECT_EQ(got.text.hidden_size, want.text.hidden_size);
  EXPECT_EQ(got.text.num_hidden_layers, want.text.num_hidden_layers);
  EXPECT_EQ(got.text.intermediate_size, want.text.intermediate_size);
  EXPECT_EQ(got.text.num_attention_heads, want.text.num_attention_heads);
  EXPECT_EQ(got.text.hidden_act, want.text.hidden_act);
  EXPECT_EQ(got.text.vocab_size, want.text.vocab_size);
  EXPECT_EQ(got.text.max_position_embeddings,
            want.text.max_position_embeddings);
  EXPECT_EQ(got.unet.block_out_channels, want.unet.block_out_channels);
  EXPECT_EQ(got.unet.down_cross_attention, want.unet.down_cross_attention);
  EXPECT_EQ(got.unet.up_cross_attention, want.unet.up_cross_attention);
  EXPECT_EQ(got.unet.layers_per_block, want.unet.layers_per_block);
  EXPECT_EQ(got.unet.num_attention_heads, want.unet.num_attention_heads);
  EXPECT_EQ(got.unet.cross_attention_dim, want.unet.cross_attention_dim);
  EXPECT_EQ(got.unet.use_linear_projection, want.unet.use_linear_projection);
  EXPECT_EQ(got.vae.block_out_channels, want.vae.block_out_channels);
  EXPECT_EQ(got.vae.layers_per_block, want.vae.layers_per_block);
  EXPECT_EQ(got.vae.latent_channels, want.vae.latent_channels);
}

void ExpectSameOutputs(LdmCheckpoint& c, const Outputs& want) {
  Outputs got = RunNets(c.source(LdmComponent::kTextEncoder),
                        c.source(LdmComponent::kUNet),
                        c.source(LdmComponent::kVae), c.arch());
  ASSERT_TRUE(got.text.defined() && got.eps.defined() && got.image.defined());
  EXPECT_TRUE(at::equal(got.text, want.text));
  EXPECT_TRUE(at::equal(got.eps, want.eps));
  EXPECT_TRUE(at::equal(got.image, want.image));
  EXPECT_THAT(c.UnexpectedUnused(), ::testing::IsEmpty());
  EXPECT_LT(c.used_count(), c.tensor_count());  // the known-unused extras
}

TEST_F(LdmCheckpointTest, Sd1SingleFileLoadsToTheDiffusersOutputs) {
  const LdmArchitecture a = Sd1Tiny();
  Outputs want;
  std::string path = WriteBoth(a, &want);
  auto c = LdmCheckpoint::Open(path);
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectSameArchitecture((*c)->arch(), a);
  EXPECT_EQ((*c)->arch().pad_id, 49407);
  EXPECT_EQ((*c)->arch().unet.num_attention_heads, (std::vector<int>{8, 8}));
  ExpectSameOutputs(**c, want);
}

TEST_F(LdmCheckpointTest, Sd2AndSgmSingleFilesLoadToTheDiffusersOutputs) {
  for (bool sgm : {false, true}) {
    const LdmArchitecture a = Sd2Tiny(sgm);
    Outputs want;
    std::string path = WriteBoth(a, &want);
    auto c = LdmCheckpoint::Open(path);
    ASSERT_TRUE(c.ok()) << c.status();
    ExpectSameArchitecture((*c)->arch(), a);
    EXPECT_EQ((*c)->arch().pad_id, 0);
    EXPECT_EQ((*c)->arch().text.num_hidden_layers, 2);  // of 3 resblocks
    EXPECT_EQ((*c)->arch().unet.num_attention_heads,
              (std::vector<int>{1, 1, 2}));
    EXPECT_THAT((*c)->arch().scheduler_json,
                sgm ? HasSubstr("trailing") : HasSubstr("PNDM"));
    ExpectSameOutputs(**c, want);
  }
}

TEST_F(LdmCheckpointTest, F16AndBf16SingleFilesGiveTheSameOutputs) {
  for (DType d : {DType::kF16, DType::kBF16}) {
    const LdmArchitecture a = Sd2Tiny(false);
    Outputs want;
    auto c = LdmCheckpoint::Open(WriteBoth(a, &want, d));
    ASSERT_TRUE(c.ok()) << c.status();
    ExpectSameOutputs(**c, want);
  }
}

TEST_F(LdmCheckpointTest, MissingAndMisshapenTensorsAreNamed) {
  const LdmArchitecture a = Sd2Tiny(false);
  Outputs want;
  const std::string victim =
      "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight";
  auto c = LdmCheckpoint::Open(WriteBoth(a, &want, DType::kF32, victim));
  ASSERT_TRUE(c.ok()) << c.status();
  auto missing =
      ClipTextEncoder::Load((*c)->source(LdmComponent::kTextEncoder), a.text);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(victim));
  EXPECT_THAT(missing.status().message(), HasSubstr("[192, 64]"));

  const std::string attn = "first_stage_model.decoder.mid.attn_1.q.weight";
  auto c2 = LdmCheckpoint::Open(WriteBoth(a, &want, DType::kF32, "", attn));
  ASSERT_TRUE(c2.ok()) << c2.status();
  auto wrong = VaeDecoder::Load((*c2)->source(LdmComponent::kVae), a.vae);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr(attn));
  EXPECT_THAT(wrong.status().message(), HasSubstr("[64, 64, 1, 1, 1]"));
}

TEST_F(LdmCheckpointTest, FileErrorsAreClear) {
  auto none = LdmCheckpoint::Open((dir_ / "none.safetensors").string());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ / "model.ckpt") << "PK\x03\x04zip";
  auto pickle = LdmCheckpoint::Open((dir_ / "model.ckpt").string());
  EXPECT_THAT(pickle.status().message(), HasSubstr("runs code"));
  std::string sdxl = (dir_ / "sdxl.safetensors").string();
  ASSERT_TRUE(
      WriteSafetensors(sdxl, {{"conditioner.embedders.1.model.ln_final.weight",
                               DType::kF32,
                               {1},
                               std::string(4, '\0')},
                              {"model.diffusion_model.input_blocks.0.0.weight",
                               DType::kF32,
                               {1},
                               std::string(4, '\0')}})
          .ok());
  auto x = LdmCheckpoint::Open(sdxl);
  EXPECT_EQ(x.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(x.status().message(), HasSubstr("SDXL"));
  EXPECT_THAT(x.status().message(), HasSubstr("not supported yet"));
  EXPECT_THAT(x.status().message(), HasSubstr(sdxl));
}

// A full-size file (2.1 GB in F16): every tensor is read or known-unused.
TEST_F(LdmCheckpointTest, RealSd15FileLoadsWithEveryTensorAccountedFor) {
  const char* path = std::getenv("EBB_TEST_SD15_FILE");
  if (!path || !fs::exists(path)) GTEST_SKIP() << "EBB_TEST_SD15_FILE unset";
  auto t0 = std::chrono::steady_clock::now();
  auto c = LdmCheckpoint::Open(path);
  ASSERT_TRUE(c.ok()) << c.status();
  const LdmArchitecture& a = (*c)->arch();
  EXPECT_EQ(a.family, LdmFamily::kSd1);
  EXPECT_EQ(a.unet.block_out_channels,
            (std::vector<int>{320, 640, 1280, 1280}));
  EXPECT_EQ(a.unet.down_cross_attention,
            (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(a.unet.up_cross_attention,
            (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(a.unet.layers_per_block, 2);
  EXPECT_EQ(a.unet.cross_attention_dim, 768);
  EXPECT_FALSE(a.unet.use_linear_projection);
  EXPECT_EQ(a.text.num_hidden_layers, 12);
  EXPECT_EQ(a.text.num_attention_heads, 12);
  EXPECT_EQ(a.vae.block_out_channels, (std::vector<int>{128, 256, 512, 512}));
  {
    c10::InferenceMode guard;
    ASSERT_TRUE(
        ClipTextEncoder::Load((*c)->source(LdmComponent::kTextEncoder), a.text)
            .ok());
    ASSERT_TRUE(UNet::Load((*c)->source(LdmComponent::kUNet), a.unet).ok());
    ASSERT_TRUE(VaeDecoder::Load((*c)->source(LdmComponent::kVae), a.vae).ok());
  }
  EXPECT_THAT((*c)->UnexpectedUnused(), ::testing::IsEmpty());
  std::printf(
      "%s: %s; %zu of %zu tensors read (the rest: VAE encoder), "
      "loaded in %.1f s\n",
      path, a.Describe().c_str(), (*c)->used_count(), (*c)->tensor_count(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count());
}

}  // namespace
}  // namespace ebb::inference::diffusion
