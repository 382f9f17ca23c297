// SPDX-License-Identifier: Apache-2.0
//
// TAESD's decoder: the parameter layout of madebyollin/taesd (names, shapes,
// the published parameter count), its building block against the
// definition, shapes, determinism and config parsing.
#include "inference/diffusion/nets/taesd.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::HasSubstr;

// Random values for every parameter a SpecRecorder saw.
class RandomSource : public ParamSource {
 public:
  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(++seed_);
    int64_t fan_in = 1;
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    return at::randn(shape, gen, at::kFloat) / std::sqrt(double(fan_in));
  }
  bool Has(const std::string&) const override { return true; }

 private:
  uint64_t seed_ = 0;
};

TEST(TaesdTest, SdConfigHasTheReferenceLayoutAndParameterCount) {
  SpecRecorder rec;
  ASSERT_TRUE(TaesdDecoder::Load(rec, TaesdConfig()).ok());
  std::map<std::string, std::vector<int64_t>> by_name;
  int64_t params = 0;
  for (const auto& s : rec.specs()) {
    by_name[s.name] = s.shape;
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, 1222531);  // madebyollin/taesd README
  EXPECT_EQ(by_name["decoder.layers.0.weight"],
            (std::vector<int64_t>{64, 4, 3, 3}));
  EXPECT_EQ(by_name["decoder.layers.2.conv.4.weight"],
            (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(by_name["decoder.layers.6.weight"],
            (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(by_name.count("decoder.layers.6.bias"), 0u);
  EXPECT_EQ(by_name.count("decoder.layers.16.weight"), 1u);
  EXPECT_EQ(by_name.count("decoder.layers.17.conv.0.bias"), 1u);
  EXPECT_EQ(by_name["decoder.layers.18.weight"],
            (std::vector<int64_t>{3, 64, 3, 3}));
  EXPECT_EQ(by_name.count("decoder.layers.18.bias"), 1u);
  EXPECT_EQ(by_name.count("decoder.layers.2.skip.weight"), 0u);
}

TEST(TaesdTest, BlockMatchesItsDefinition) {
  RandomSource src;
  TaesdBlock b;
  for (Conv2d* c : {&b.conv0, &b.conv1, &b.conv2}) {
    c->padding = 1;
    c->weight = *src.Get("w", {8, c == &b.conv0 ? 4 : 8, 3, 3});
    c->bias = *src.Get("b", {8});
  }
  b.skip = Conv2d{*src.Get("s", {8, 4, 1, 1}), at::Tensor(), 1, 0};
  at::Tensor x = *src.Get("x", {2, 4, 5, 6});
  auto conv = [](const at::Tensor& in, const Conv2d& c) {
    return at::conv2d(in, c.weight, c.bias, 1, 1);
  };
  at::Tensor h =
      conv(at::relu(conv(at::relu(conv(x, b.conv0)), b.conv1)), b.conv2);
  at::Tensor want = at::relu(h + at::conv2d(x, b.skip->weight));
  EXPECT_TRUE(at::allclose(b(x), want, 1e-5, 1e-6));
  b.skip.reset();  // identity skip when channels match
  at::Tensor y = *src.Get("y", {1, 8, 4, 4});
  b.conv0.weight = *src.Get("w0", {8, 8, 3, 3});
  h = conv(at::relu(conv(at::relu(conv(y, b.conv0)), b.conv1)), b.conv2);
  EXPECT_TRUE(at::allclose(b(y), at::relu(h + y), 1e-5, 1e-6));
}

TEST(TaesdTest, TinyDecoderShapesDeterminismAndRange) {
  TaesdConfig c;
  c.block_out_channels = {8, 16, 16};
  c.num_blocks = {1, 2, 1};
  SpecRecorder rec;
  ASSERT_TRUE(TaesdDecoder::Load(rec, c).ok());
  std::map<std::string, std::vector<int64_t>> by_name;
  for (const auto& s : rec.specs()) by_name[s.name] = s.shape;
  // 0 conv_in, 2 block, 3 up, 4 conv, 5-6 blocks (5 widens: skip), 7 up,
  // 8 conv, 9 block, 10 conv_out.
  EXPECT_EQ(by_name["decoder.layers.5.skip.weight"],
            (std::vector<int64_t>{16, 8, 1, 1}));
  EXPECT_EQ(by_name["decoder.layers.10.weight"],
            (std::vector<int64_t>{3, 16, 3, 3}));
  RandomSource src;
  auto d = TaesdDecoder::Load(src, c);
  ASSERT_TRUE(d.ok()) << d.status();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  at::Tensor z = at::randn({2, 4, 4, 5}, gen, at::kFloat) * 4;
  auto img = d->Decode(z);
  ASSERT_TRUE(img.ok()) << img.status();
  EXPECT_EQ(img->sizes(), (std::vector<int64_t>{2, 3, 16, 20}));
  EXPECT_TRUE(at::equal(*d->Decode(z), *img));
  EXPECT_TRUE(at::isfinite(*img).all().item<bool>());
  // Batch items are independent (oneDNN may pick another conv algorithm
  // for another batch size: equal up to rounding).
  EXPECT_TRUE(at::allclose(*d->Decode(z.narrow(0, 1, 1)), img->narrow(0, 1, 1),
                           1e-4, 1e-4));
  // The input clamp: huge latents saturate instead of exploding.
  EXPECT_TRUE(at::allclose(*d->Decode(z * 1e6), *d->Decode(z.sign() * 3e6),
                           1e-5, 1e-6));
  EXPECT_FALSE(d->Decode(at::zeros({1, 3, 4, 4})).ok());
}

TEST(TaesdTest, ConfigParsing) {
  auto c = ParseTaesdConfig(
      R"({"_class_name": "AutoencoderTiny", "act_fn": "relu",
          "decoder_block_out_channels": [64, 64, 64, 64],
          "num_decoder_blocks": [3, 3, 3, 1], "latent_channels": 4,
          "scaling_factor": 1.0, "upsampling_scaling_factor": 2})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->num_blocks, (std::vector<int>{3, 3, 3, 1}));
  EXPECT_THAT(ParseTaesdConfig(R"({"act_fn": "silu"})").status().message(),
              HasSubstr("act_fn"));
  EXPECT_FALSE(ParseTaesdConfig(R"({"num_decoder_blocks": [1]})").ok());
  EXPECT_FALSE(ParseTaesdConfig("{").ok());
}

}  // namespace
}  // namespace ebb::inference::diffusion
