// SPDX-License-Identifier: Apache-2.0
//
// Each network on a tiny config with random weights that the test writes in
// the diffusers layout: output shapes, determinism, F32/F16/BF16 files giving
// the same outputs, and clear errors for a missing tensor or a wrong shape.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <functional>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::HasSubstr;

class ModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ebb_nets_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Random weights for `specs`, values rounded to bf16 (so F32, F16 and BF16
  // files hold exactly the same numbers; magnitudes under F16's smallest
  // normal are zeroed). `rename` maps names; `skip` drops.
  std::string Write(const std::vector<SpecRecorder::Spec>& specs, DType dtype,
                    const std::string& name,
                    std::function<std::string(const std::string&)> rename = {},
                    const std::string& skip = "",
                    const std::string& reshape = "") {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<TensorToWrite> out;
    for (const auto& s : specs) {
      int64_t numel = 1, fan_in = 1;
      for (int64_t d : s.shape) numel *= d;
      for (size_t i = 1; i < s.shape.size(); ++i) fan_in *= s.shape[i];
      const bool is_norm_weight = s.shape.size() == 1 &&
                                  s.name.find("norm") != std::string::npos &&
                                  s.name.ends_with(".weight");
      std::vector<float> v(numel);
      for (auto& x : v) {
        float r = normal(rng) / std::sqrt(static_cast<float>(fan_in));
        x = BFloat16ToFloat(FloatToBFloat16(is_norm_weight ? 1 + 0.1f * r : r));
        if (std::abs(x) < 6.2e-5f) x = 0;  // F16 subnormals lose bits
      }
      if (s.name == skip) continue;
      std::vector<int64_t> shape = s.shape;
      if (s.name == reshape) shape.push_back(1);
      auto bytes = EncodeFloats(v, dtype);
      EXPECT_TRUE(bytes.ok());
      out.push_back({rename ? rename(s.name) : s.name, dtype, shape, *bytes});
    }
    std::string path = (dir_ / name).string();
    EXPECT_TRUE(WriteSafetensors(path, out).ok());
    return path;
  }

  std::filesystem::path dir_;
};

at::Tensor Random(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen, at::kFloat);
}

ClipTextConfig TinyClip() {
  ClipTextConfig c;
  c.vocab_size = 100;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.max_position_embeddings = 16;
  return c;
}

template <typename Net, typename Config>
std::vector<SpecRecorder::Spec> Specs(const Config& c) {
  SpecRecorder rec;
  EXPECT_TRUE(Net::Load(rec, c).ok());
  return rec.specs();
}

template <typename Net, typename Config>
Net LoadFrom(const std::string& path, const Config& c) {
  auto store = WeightStore::Open({path});
  EXPECT_TRUE(store.ok()) << store.status();
  auto net = Net::Load(**store, c);
  EXPECT_TRUE(net.ok()) << net.status();
  EXPECT_TRUE((*store)->Unused().empty());
  return std::move(*net);
}

TEST_F(ModelsTest, ClipTextEncoderShapesCausalityAndDtypes) {
  ClipTextConfig c = TinyClip();
  auto specs = Specs<ClipTextEncoder>(c);
  at::Tensor ids = at::randint(0, 100, {2, 16}, at::kLong);
  std::vector<at::Tensor> outs;
  for (DType d : {DType::kF32, DType::kF16, DType::kBF16}) {
    auto enc = LoadFrom<ClipTextEncoder>(Write(specs, d, DTypeName(d)), c);
    auto y = enc.Forward(ids);
    ASSERT_TRUE(y.ok()) << y.status();
    EXPECT_EQ(y->sizes(), (std::vector<int64_t>{2, 16, 32}));
    outs.push_back(*y);
  }
  EXPECT_TRUE(at::equal(outs[0], outs[1]));
  EXPECT_TRUE(at::equal(outs[0], outs[2]));

  auto enc = LoadFrom<ClipTextEncoder>(Write(specs, DType::kF32, "a"), c);
  EXPECT_TRUE(at::equal(*enc.Forward(ids), outs[0]));  // deterministic
  // Causal: a later token never changes earlier positions.
  at::Tensor changed = ids.clone();
  changed[0][10] = (changed[0][10].item<int64_t>() + 1) % 100;
  at::Tensor y2 = *enc.Forward(changed);
  EXPECT_TRUE(at::allclose(y2.narrow(1, 0, 10), outs[0].narrow(1, 0, 10)));
  EXPECT_FALSE(at::allclose(y2.narrow(1, 10, 6), outs[0].narrow(1, 10, 6)));
  // gelu and quick_gelu differ.
  c.hidden_act = "gelu";
  auto gelu = LoadFrom<ClipTextEncoder>(Write(specs, DType::kF32, "g"), c);
  EXPECT_FALSE(at::allclose(*gelu.Forward(ids), outs[0]));
  EXPECT_FALSE(enc.Forward(at::full({1, 17}, 1, at::kLong)).ok());
  EXPECT_FALSE(enc.Forward(at::full({1, 3}, 100, at::kLong)).ok());
}

TEST_F(ModelsTest, MissingTensorAndWrongShapeAreNamed) {
  ClipTextConfig c = TinyClip();
  auto specs = Specs<ClipTextEncoder>(c);
  const std::string victim = "text_model.encoder.layers.1.mlp.fc1.weight";
  auto store = WeightStore::Open({Write(specs, DType::kF32, "m", {}, victim)});
  ASSERT_TRUE(store.ok());
  auto missing = ClipTextEncoder::Load(**store, c);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(victim));
  EXPECT_THAT(missing.status().message(), HasSubstr("[64, 32]"));

  auto store2 =
      WeightStore::Open({Write(specs, DType::kF32, "s", {}, "", victim)});
  ASSERT_TRUE(store2.ok());
  auto wrong = ClipTextEncoder::Load(**store2, c);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr(victim));
  EXPECT_THAT(
      wrong.status().message(),
      HasSubstr("has shape [64, 32, 1] but the config expects [64, 32]"));
}

UNetConfig TinyUNet(bool linear) {
  UNetConfig c;
  c.block_out_channels = {32, 64};
  c.down_cross_attention = {true, false};
  c.up_cross_attention = {false, true};
  c.layers_per_block = 1;
  c.num_attention_heads = {2, 4};
  c.cross_attention_dim = 16;
  c.norm_num_groups = 8;
  c.use_linear_projection = linear;
  return c;
}

TEST_F(ModelsTest, UNetLayoutShapesAndDtypes) {
  for (bool linear : {false, true}) {
    UNetConfig c = TinyUNet(linear);
    auto specs = Specs<UNet>(c);
    std::map<std::string, std::vector<int64_t>> by_name;
    for (const auto& s : specs) by_name[s.name] = s.shape;
    // The diffusers layout, pinned by hand.
    EXPECT_EQ(by_name["conv_in.weight"], (std::vector<int64_t>{32, 4, 3, 3}));
    EXPECT_EQ(by_name["time_embedding.linear_1.weight"],
              (std::vector<int64_t>{128, 32}));
    EXPECT_EQ(by_name["down_blocks.0.attentions.0.transformer_blocks.0.attn2."
                      "to_k.weight"],
              (std::vector<int64_t>{32, 16}));
    EXPECT_EQ(by_name.count("down_blocks.0.attentions.0.transformer_blocks.0."
                            "attn1.to_q.bias"),
              0u);
    EXPECT_EQ(by_name["down_blocks.0.attentions.0.transformer_blocks.0.ff."
                      "net.0.proj.weight"],
              (std::vector<int64_t>{256, 32}));
    EXPECT_EQ(by_name["down_blocks.0.downsamplers.0.conv.weight"],
              (std::vector<int64_t>{32, 32, 3, 3}));
    EXPECT_EQ(by_name["up_blocks.0.resnets.0.conv1.weight"],
              (std::vector<int64_t>{64, 128, 3, 3}));
    EXPECT_EQ(by_name["up_blocks.0.resnets.1.conv_shortcut.weight"],
              (std::vector<int64_t>{64, 96, 1, 1}));
    EXPECT_EQ(by_name["up_blocks.1.resnets.0.conv1.weight"],
              (std::vector<int64_t>{32, 96, 3, 3}));
    EXPECT_EQ(by_name["mid_block.attentions.0.proj_in.weight"],
              linear ? (std::vector<int64_t>{64, 64})
                     : (std::vector<int64_t>{64, 64, 1, 1}));
    EXPECT_EQ(by_name["conv_out.weight"], (std::vector<int64_t>{4, 32, 3, 3}));

    at::Tensor x = Random({2, 4, 8, 8}, 1), ctx = Random({2, 5, 16}, 2);
    at::Tensor t = at::tensor({999.0f});
    std::vector<at::Tensor> outs;
    for (DType d : {DType::kF32, DType::kF16, DType::kBF16}) {
      auto unet = LoadFrom<UNet>(Write(specs, d, DTypeName(d)), c);
      auto y = unet.Forward(x, t, ctx);
      ASSERT_TRUE(y.ok()) << y.status();
      EXPECT_EQ(y->sizes(), (std::vector<int64_t>{2, 4, 8, 8}));
      EXPECT_TRUE(at::isfinite(*y).all().item<bool>());
      outs.push_back(*y);
      EXPECT_TRUE(at::equal(*unet.Forward(x, t, ctx), *y));  // deterministic
      // The timestep and the context both matter.
      EXPECT_FALSE(
          at::allclose(*unet.Forward(x, at::tensor({10.0f}), ctx), *y));
      EXPECT_FALSE(at::allclose(*unet.Forward(x, t, ctx * 2), *y));
      EXPECT_FALSE(
          unet.Forward(Random({1, 4, 7, 8}, 3), t, Random({1, 5, 16}, 4)).ok());
      EXPECT_FALSE(unet.Forward(x, t, Random({2, 5, 15}, 4)).ok());
    }
    EXPECT_TRUE(at::equal(outs[0], outs[1]));
    EXPECT_TRUE(at::equal(outs[0], outs[2]));
    // Batch items are independent: item 1 alone gives the same output.
    auto unet = LoadFrom<UNet>(Write(specs, DType::kF32, "b"), c);
    at::Tensor one = *unet.Forward(x.narrow(0, 1, 1), t, ctx.narrow(0, 1, 1));
    EXPECT_TRUE(at::allclose(one, outs[0].narrow(0, 1, 1), 1e-4, 1e-5));
  }
}

VaeConfig TinyVae() {
  VaeConfig c;
  c.block_out_channels = {16, 32};
  c.layers_per_block = 1;
  c.norm_num_groups = 8;
  return c;
}

TEST_F(ModelsTest, VaeDecoderBothAttentionNamingsAndDtypes) {
  VaeConfig c = TinyVae();
  auto specs = Specs<VaeDecoder>(c);
  std::map<std::string, std::vector<int64_t>> by_name;
  for (const auto& s : specs) by_name[s.name] = s.shape;
  EXPECT_EQ(by_name["decoder.mid_block.attentions.0.to_q.weight"],
            (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(by_name["decoder.up_blocks.0.resnets.1.conv1.weight"],
            (std::vector<int64_t>{32, 32, 3, 3}));
  EXPECT_EQ(by_name["decoder.up_blocks.1.resnets.0.conv_shortcut.weight"],
            (std::vector<int64_t>{16, 32, 1, 1}));
  EXPECT_EQ(by_name["post_quant_conv.weight"],
            (std::vector<int64_t>{4, 4, 1, 1}));

  at::Tensor z = Random({1, 4, 4, 4}, 5);
  auto vae = LoadFrom<VaeDecoder>(Write(specs, DType::kF32, "f32"), c);
  auto img = vae.Decode(z);
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->sizes(), (std::vector<int64_t>{1, 3, 8, 8}));
  EXPECT_TRUE(at::equal(*vae.Decode(z), *img));

  auto old_names = [](const std::string& n) {
    std::string s = n;
    for (auto [from, to] : {std::pair{".to_q.", ".query."},
                            {".to_k.", ".key."},
                            {".to_v.", ".value."},
                            {".to_out.0.", ".proj_attn."}}) {
      auto at = s.find(from);
      if (at != std::string::npos) s.replace(at, std::string(from).size(), to);
    }
    return s;
  };
  for (DType d : {DType::kF16, DType::kBF16}) {
    auto old = LoadFrom<VaeDecoder>(
        Write(specs, d, std::string("old") + DTypeName(d), old_names), c);
    EXPECT_TRUE(at::equal(*old.Decode(z), *img));
  }
  auto rgb = ToRgb8(at::tensor({-1.0f, 0.0f, 1.0f, 2.0f})
                        .reshape({1, 1, 2, 2})
                        .expand({1, 3, 2, 2}));
  ASSERT_EQ(rgb.size(), 1u);
  EXPECT_EQ(rgb[0], (std::vector<uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255,
                                          255, 255, 255}));
}

}  // namespace
}  // namespace ebb::inference::diffusion
