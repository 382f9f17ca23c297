// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/vae_decoder.h"

#include <ATen/ATen.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::inference::diffusion {
namespace {

constexpr double kEps = 1e-6;

// The mid attention under either naming.
absl::Status LoadMidAttention(ParamSource& p, int64_t c, int64_t groups,
                              std::optional<GroupNorm>* norm,
                              std::optional<AttentionLayer>* attn) {
  const std::string pre = "decoder.mid_block.attentions.0";
  EBB_ASSIGN_OR_RETURN(*norm,
                       LoadGroupNorm(p, pre + ".group_norm", c, groups, kEps));
  if (p.Has(pre + ".to_q.weight") || !p.Has(pre + ".query.weight")) {
    EBB_ASSIGN_OR_RETURN(*attn, LoadAttention(p, pre, c, c, 1, true));
    return absl::OkStatus();
  }
  AttentionLayer a;
  EBB_ASSIGN_OR_RETURN(a.q, LoadLinear(p, pre + ".query", c, c));
  EBB_ASSIGN_OR_RETURN(a.k, LoadLinear(p, pre + ".key", c, c));
  EBB_ASSIGN_OR_RETURN(a.v, LoadLinear(p, pre + ".value", c, c));
  EBB_ASSIGN_OR_RETURN(a.out, LoadLinear(p, pre + ".proj_attn", c, c));
  *attn = std::move(a);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VaeDecoder> VaeDecoder::Load(ParamSource& p,
                                            const VaeConfig& c) {
  VaeDecoder d;
  d.config_ = c;
  const auto& ch = c.block_out_channels;
  const int n = static_cast<int>(ch.size());
  const int64_t g = c.norm_num_groups, lat = c.latent_channels;
  EBB_ASSIGN_OR_RETURN(d.post_quant_conv_,
                       LoadConv2d(p, "post_quant_conv", lat, lat, 1));
  EBB_ASSIGN_OR_RETURN(d.conv_in_,
                       LoadConv2d(p, "decoder.conv_in", lat, ch.back(), 3));
  EBB_ASSIGN_OR_RETURN(d.mid_res0_,
                       LoadResnetBlock2D(p, "decoder.mid_block.resnets.0",
                                         ch.back(), ch.back(), 0, g, kEps));
  if (c.mid_block_add_attention) {
    EBB_RETURN_IF_ERROR(
        LoadMidAttention(p, ch.back(), g, &d.attn_norm_, &d.attn_));
  }
  EBB_ASSIGN_OR_RETURN(d.mid_res1_,
                       LoadResnetBlock2D(p, "decoder.mid_block.resnets.1",
                                         ch.back(), ch.back(), 0, g, kEps));
  int64_t out_ch = ch.back();
  for (int i = 0; i < n; ++i) {
    const int64_t prev = out_ch;
    out_ch = ch[n - 1 - i];
    UpBlock b;
    const std::string pre = absl::StrCat("decoder.up_blocks.", i);
    for (int j = 0; j <= c.layers_per_block; ++j) {
      EBB_ASSIGN_OR_RETURN(
          auto r,
          LoadResnetBlock2D(p, absl::StrCat(pre, ".resnets.", j),
                            j == 0 ? prev : out_ch, out_ch, 0, g, kEps));
      b.resnets.push_back(std::move(r));
    }
    if (i + 1 < n) {
      EBB_ASSIGN_OR_RETURN(
          b.upsampler,
          LoadConv2d(p, pre + ".upsamplers.0.conv", out_ch, out_ch, 3));
    }
    d.up_.push_back(std::move(b));
  }
  EBB_ASSIGN_OR_RETURN(
      d.norm_out_, LoadGroupNorm(p, "decoder.conv_norm_out", ch[0], g, kEps));
  EBB_ASSIGN_OR_RETURN(
      d.conv_out_, LoadConv2d(p, "decoder.conv_out", ch[0], c.out_channels, 3));
  return d;
}

absl::StatusOr<at::Tensor> VaeDecoder::Decode(const at::Tensor& latents) const {
  if (latents.dim() != 4 || latents.size(1) != config_.latent_channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "VAE latents must be [B, ", config_.latent_channels, ", h, w]"));
  }
  at::Tensor x = post_quant_conv_(latents / config_.scaling_factor);
  x = conv_in_(x);
  x = mid_res0_(x, at::Tensor());
  if (attn_) {
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    at::Tensor tokens = (*attn_norm_)(x).reshape({b, c, h * w}).transpose(1, 2);
    at::Tensor y = (*attn_)(tokens, at::Tensor());
    x = x + y.transpose(1, 2).reshape({b, c, h, w});
  }
  x = mid_res1_(x, at::Tensor());
  for (const UpBlock& blk : up_) {
    for (const auto& r : blk.resnets) x = r(x, at::Tensor());
    if (blk.upsampler) {
      x = at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
      x = (*blk.upsampler)(x);
    }
  }
  return conv_out_(at::silu(norm_out_(x)));
}

std::vector<std::vector<uint8_t>> ToRgb8(const at::Tensor& images) {
  at::Tensor u8 = ((images.to(at::kFloat) + 1) * 0.5)
                      .clamp(0, 1)
                      .mul(255)
                      .round()
                      .to(at::kByte)
                      .permute({0, 2, 3, 1})
                      .contiguous();
  std::vector<std::vector<uint8_t>> out;
  const int64_t per = u8.numel() / std::max<int64_t>(u8.size(0), 1);
  for (int64_t i = 0; i < u8.size(0); ++i) {
    const uint8_t* src = u8.data_ptr<uint8_t>() + i * per;
    out.emplace_back(src, src + per);
  }
  return out;
}

}  // namespace ebb::inference::diffusion
