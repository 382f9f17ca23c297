// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/unet.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::inference::diffusion {

absl::StatusOr<UNet> UNet::Load(ParamSource& p, const UNetConfig& c) {
  UNet u;
  u.config_ = c;
  const auto& ch = c.block_out_channels;
  const int n = static_cast<int>(ch.size());
  const int64_t temb = 4 * ch[0];
  const int64_t g = c.norm_num_groups;
  const double eps = c.norm_eps;
  EBB_ASSIGN_OR_RETURN(u.conv_in_,
                       LoadConv2d(p, "conv_in", c.in_channels, ch[0], 3));
  EBB_ASSIGN_OR_RETURN(u.time_1_,
                       LoadLinear(p, "time_embedding.linear_1", ch[0], temb));
  EBB_ASSIGN_OR_RETURN(u.time_2_,
                       LoadLinear(p, "time_embedding.linear_2", temb, temb));

  int64_t out_ch = ch[0];
  for (int i = 0; i < n; ++i) {
    const int64_t in_ch = out_ch;
    out_ch = ch[i];
    Block b;
    const std::string pre = absl::StrCat("down_blocks.", i);
    for (int j = 0; j < c.layers_per_block; ++j) {
      EBB_ASSIGN_OR_RETURN(
          auto r,
          LoadResnetBlock2D(p, absl::StrCat(pre, ".resnets.", j),
                            j == 0 ? in_ch : out_ch, out_ch, temb, g, eps));
      b.resnets.push_back(std::move(r));
      if (c.down_cross_attention[i]) {
        EBB_ASSIGN_OR_RETURN(
            auto t,
            LoadTransformer2D(p, absl::StrCat(pre, ".attentions.", j), out_ch,
                              c.num_attention_heads[i], c.cross_attention_dim,
                              c.use_linear_projection, g));
        b.attentions.push_back(std::move(t));
      }
    }
    if (i + 1 < n) {
      EBB_ASSIGN_OR_RETURN(
          b.sampler,
          LoadConv2d(p, pre + ".downsamplers.0.conv", out_ch, out_ch, 3, 2, 1));
    }
    u.down_.push_back(std::move(b));
  }

  const int64_t mid = ch.back();
  EBB_ASSIGN_OR_RETURN(u.mid_res0_, LoadResnetBlock2D(p, "mid_block.resnets.0",
                                                      mid, mid, temb, g, eps));
  EBB_ASSIGN_OR_RETURN(
      u.mid_attn_,
      LoadTransformer2D(p, "mid_block.attentions.0", mid,
                        c.num_attention_heads.back(), c.cross_attention_dim,
                        c.use_linear_projection, g));
  EBB_ASSIGN_OR_RETURN(u.mid_res1_, LoadResnetBlock2D(p, "mid_block.resnets.1",
                                                      mid, mid, temb, g, eps));

  out_ch = ch[n - 1];
  for (int i = 0; i < n; ++i) {
    const int64_t prev_out = out_ch;
    out_ch = ch[n - 1 - i];
    const int64_t in_ch = ch[std::max(n - 2 - i, 0)];
    const int heads = c.num_attention_heads[n - 1 - i];
    Block b;
    const std::string pre = absl::StrCat("up_blocks.", i);
    const int layers = c.layers_per_block + 1;
    for (int j = 0; j < layers; ++j) {
      const int64_t skip = j == layers - 1 ? in_ch : out_ch;
      const int64_t res_in = j == 0 ? prev_out : out_ch;
      EBB_ASSIGN_OR_RETURN(
          auto r, LoadResnetBlock2D(p, absl::StrCat(pre, ".resnets.", j),
                                    res_in + skip, out_ch, temb, g, eps));
      b.resnets.push_back(std::move(r));
      if (c.up_cross_attention[i]) {
        EBB_ASSIGN_OR_RETURN(
            auto t, LoadTransformer2D(p, absl::StrCat(pre, ".attentions.", j),
                                      out_ch, heads, c.cross_attention_dim,
                                      c.use_linear_projection, g));
        b.attentions.push_back(std::move(t));
      }
    }
    if (i + 1 < n) {
      EBB_ASSIGN_OR_RETURN(b.sampler, LoadConv2d(p, pre + ".upsamplers.0.conv",
                                                 out_ch, out_ch, 3));
    }
    u.up_.push_back(std::move(b));
  }
  EBB_ASSIGN_OR_RETURN(u.norm_out_,
                       LoadGroupNorm(p, "conv_norm_out", ch[0], g, eps));
  EBB_ASSIGN_OR_RETURN(u.conv_out_,
                       LoadConv2d(p, "conv_out", ch[0], c.out_channels, 3));
  return u;
}

absl::StatusOr<at::Tensor> UNet::Forward(const at::Tensor& sample,
                                         const at::Tensor& timestep,
                                         const at::Tensor& context) const {
  const int64_t factor = int64_t{1} << (config_.block_out_channels.size() - 1);
  if (sample.dim() != 4 || sample.size(1) != config_.in_channels ||
      sample.size(2) % factor != 0 || sample.size(3) % factor != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("UNet sample must be [B, ", config_.in_channels,
                     ", h, w] with h and w multiples of ", factor));
  }
  const int64_t b = sample.size(0);
  if (context.dim() != 3 || context.size(0) != b ||
      context.size(2) != config_.cross_attention_dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("UNet context must be [", b, ", M, ",
                     config_.cross_attention_dim, "]"));
  }
  at::Tensor t = timestep.reshape({-1}).to(at::kFloat);
  if (t.size(0) == 1 && b > 1) t = t.expand({b});
  if (t.size(0) != b) {
    return absl::InvalidArgumentError("UNet timestep must be [1] or [B]");
  }
  at::Tensor emb =
      TimestepEmbedding(t, config_.block_out_channels[0],
                        config_.flip_sin_to_cos, config_.freq_shift);
  // In the weights' dtype (bf16 when the pipeline computes in bf16).
  emb = time_2_(at::silu(time_1_(emb.to(time_1_.weight.scalar_type()))));

  at::Tensor x = conv_in_(sample);
  std::vector<at::Tensor> skips = {x};
  for (const Block& blk : down_) {
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      x = blk.resnets[j](x, emb);
      if (!blk.attentions.empty()) x = blk.attentions[j](x, context);
      skips.push_back(x);
    }
    if (blk.sampler) {
      x = (*blk.sampler)(x);
      skips.push_back(x);
    }
  }
  x = mid_res0_(x, emb);
  x = mid_attn_(x, context);
  x = mid_res1_(x, emb);
  for (const Block& blk : up_) {
    for (size_t j = 0; j < blk.resnets.size(); ++j) {
      x = at::cat({x, skips.back()}, 1);
      skips.pop_back();
      x = blk.resnets[j](x, emb);
      if (!blk.attentions.empty()) x = blk.attentions[j](x, context);
    }
    if (blk.sampler) {
      x = at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
      x = (*blk.sampler)(x);
    }
  }
  return conv_out_(at::silu(norm_out_(x)));
}

}  // namespace ebb::inference::diffusion
