// SPDX-License-Identifier: Apache-2.0
//
// The diffusers -> single-file name table on SD 1.5's shape, pinned against
// the reference mapping (huggingface/diffusers:
// scripts/convert_diffusers_to_original_stable_diffusion.py), and the
// refusal of architectures ebb does not run.
#include "inference/diffusion/single_file/ldm_layout.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::HasSubstr;

LdmArchitecture Sd15(LdmFamily family = LdmFamily::kSd1) {
  ClipTextConfig t;
  t.hidden_size = 768;
  t.num_hidden_layers = 12;
  VaeConfig v;
  v.block_out_channels = {128, 256, 512, 512};
  v.layers_per_block = 2;
  return MakeLdmArchitecture(family, false, t, UNetConfig(), v);
}

std::string Name(const LdmArchitecture& a, LdmComponent c,
                 const std::string& n) {
  auto r = LdmName(a, c, n);
  EXPECT_TRUE(r.ok()) << n << ": " << r.status();
  return r.ok() ? r->name : "";
}

TEST(LdmLayoutTest, UNetNamesFollowTheReferenceTable) {
  const LdmArchitecture a = Sd15();
  const auto u = LdmComponent::kUNet;
  const std::string p = "model.diffusion_model.";
  EXPECT_EQ(Name(a, u, "conv_in.weight"), p + "input_blocks.0.0.weight");
  EXPECT_EQ(Name(a, u, "time_embedding.linear_2.bias"),
            p + "time_embed.2.bias");
  EXPECT_EQ(Name(a, u, "down_blocks.1.resnets.1.conv1.weight"),
            p + "input_blocks.5.0.in_layers.2.weight");
  EXPECT_EQ(Name(a, u, "down_blocks.1.resnets.0.conv_shortcut.weight"),
            p + "input_blocks.4.0.skip_connection.weight");
  EXPECT_EQ(Name(a, u, "down_blocks.0.resnets.0.time_emb_proj.bias"),
            p + "input_blocks.1.0.emb_layers.1.bias");
  EXPECT_EQ(Name(a, u, "down_blocks.2.attentions.1.proj_in.weight"),
            p + "input_blocks.8.1.proj_in.weight");
  EXPECT_EQ(Name(a, u, "down_blocks.2.downsamplers.0.conv.weight"),
            p + "input_blocks.9.0.op.weight");
  EXPECT_EQ(Name(a, u, "mid_block.resnets.1.norm2.weight"),
            p + "middle_block.2.out_layers.0.weight");
  EXPECT_EQ(Name(a, u,
                 "mid_block.attentions.0.transformer_blocks.0.attn2.to_k."
                 "weight"),
            p + "middle_block.1.transformer_blocks.0.attn2.to_k.weight");
  EXPECT_EQ(Name(a, u, "up_blocks.0.resnets.2.conv2.bias"),
            p + "output_blocks.2.0.out_layers.3.bias");
  EXPECT_EQ(Name(a, u, "up_blocks.0.upsamplers.0.conv.weight"),
            p + "output_blocks.2.1.conv.weight");
  EXPECT_EQ(Name(a, u, "up_blocks.1.upsamplers.0.conv.weight"),
            p + "output_blocks.5.2.conv.weight");
  EXPECT_EQ(Name(a, u, "up_blocks.3.attentions.2.norm.bias"),
            p + "output_blocks.11.1.norm.bias");
  EXPECT_EQ(Name(a, u, "conv_norm_out.weight"), p + "out.0.weight");
  EXPECT_EQ(Name(a, u, "conv_out.bias"), p + "out.2.bias");
  EXPECT_FALSE(LdmName(a, u, "down_blocks.4.resnets.0.conv1.weight").ok());
  EXPECT_FALSE(LdmName(a, u, "bogus.weight").ok());
}

TEST(LdmLayoutTest, VaeNamesReverseTheUpBlocksAndViewAttentionAsConv) {
  const LdmArchitecture a = Sd15();
  const auto v = LdmComponent::kVae;
  const std::string p = "first_stage_model.decoder.";
  EXPECT_EQ(Name(a, v, "decoder.up_blocks.0.resnets.2.conv1.weight"),
            p + "up.3.block.2.conv1.weight");
  EXPECT_EQ(Name(a, v, "decoder.up_blocks.2.resnets.0.conv_shortcut.bias"),
            p + "up.1.block.0.nin_shortcut.bias");
  EXPECT_EQ(Name(a, v, "decoder.up_blocks.0.upsamplers.0.conv.weight"),
            p + "up.3.upsample.conv.weight");
  EXPECT_EQ(Name(a, v, "decoder.mid_block.resnets.1.norm1.weight"),
            p + "mid.block_2.norm1.weight");
  EXPECT_EQ(Name(a, v, "decoder.conv_norm_out.bias"), p + "norm_out.bias");
  EXPECT_EQ(Name(a, v, "post_quant_conv.weight"),
            "first_stage_model.post_quant_conv.weight");
  auto q = LdmName(a, v, "decoder.mid_block.attentions.0.to_q.weight");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->name, p + "mid.attn_1.q.weight");
  EXPECT_TRUE(q->conv1x1);
  auto out = LdmName(a, v, "decoder.mid_block.attentions.0.proj_attn.bias");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->name, p + "mid.attn_1.proj_out.bias");
  EXPECT_FALSE(out->conv1x1);
  EXPECT_EQ(Name(a, v, "decoder.mid_block.attentions.0.group_norm.weight"),
            p + "mid.attn_1.norm.weight");
}

TEST(LdmLayoutTest, TextNamesForClipAndOpenClip) {
  const auto t = LdmComponent::kTextEncoder;
  EXPECT_EQ(Name(Sd15(), t, "text_model.encoder.layers.3.mlp.fc1.weight"),
            "cond_stage_model.transformer.text_model.encoder.layers.3.mlp.fc1."
            "weight");
  const LdmArchitecture sd2 = Sd15(LdmFamily::kSd2);
  const std::string p = "cond_stage_model.model.";
  EXPECT_EQ(Name(sd2, t, "text_model.embeddings.position_embedding.weight"),
            p + "positional_embedding");
  EXPECT_EQ(Name(sd2, t, "text_model.encoder.layers.3.mlp.fc2.bias"),
            p + "transformer.resblocks.3.mlp.c_proj.bias");
  EXPECT_EQ(Name(sd2, t, "text_model.final_layer_norm.weight"),
            p + "ln_final.weight");
  auto k = LdmName(sd2, t, "text_model.encoder.layers.0.self_attn.k_proj.bias");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->name, p + "transformer.resblocks.0.attn.in_proj_bias");
  EXPECT_EQ(k->qkv_part, 1);
  EXPECT_TRUE(
      IsIgnoredLdmTensor(sd2, p + "transformer.resblocks.12.ln_1.bias"));
  EXPECT_FALSE(
      IsIgnoredLdmTensor(sd2, p + "transformer.resblocks.11.ln_1.bias"));
  EXPECT_TRUE(
      IsIgnoredLdmTensor(sd2, "first_stage_model.encoder.conv_in.bias"));
  EXPECT_EQ(sd2.pad_id, 0);
  EXPECT_EQ(Sd15().pad_id, 49407);
}

TEST(LdmLayoutTest, OtherArchitecturesAreNotSupportedYet) {
  auto refuse = [](ShapeMap m) {
    auto a = InferLdmArchitecture(m);
    EXPECT_FALSE(a.ok());
    return std::string(a.status().message());
  };
  const std::vector<int64_t> s = {1};
  EXPECT_THAT(refuse({{"conditioner.embedders.1.model.ln_final.weight", s},
                      {"model.diffusion_model.input_blocks.0.0.weight", s}}),
              HasSubstr("SDXL checkpoints are not supported yet"));
  EXPECT_THAT(refuse({{"model.diffusion_model.joint_blocks.0.x", s}}),
              HasSubstr("SD3"));
  EXPECT_THAT(refuse({{"double_blocks.0.img_attn.qkv.weight", s}}),
              HasSubstr("Flux"));
  EXPECT_THAT(refuse({{"down_blocks.0.resnets.0.conv1.weight", s}}),
              HasSubstr("load the folder instead"));
  EXPECT_THAT(refuse({{"model.diffusion_model.input_blocks.0.0.weight", s}}),
              HasSubstr("without a text encoder"));
  EXPECT_THAT(refuse({{"model.diffusion_model.input_blocks.0.0.weight", s},
                      {"cond_stage_model.model.token_embedding.weight", s}}),
              HasSubstr("without a VAE"));
}

}  // namespace
}  // namespace ebb::inference::diffusion
