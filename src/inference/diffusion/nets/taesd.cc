// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/taesd.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::inference::diffusion {
namespace {

absl::StatusOr<Conv2d> Conv(ParamSource& p, const std::string& prefix,
                            int64_t in, int64_t out, int64_t kernel,
                            bool bias) {
  if (bias) return LoadConv2d(p, prefix, in, out, kernel);
  Conv2d c;
  c.padding = kernel / 2;
  EBB_ASSIGN_OR_RETURN(c.weight,
                       p.Get(prefix + ".weight", {out, in, kernel, kernel}));
  return c;
}

absl::StatusOr<TaesdBlock> LoadBlock(ParamSource& p, const std::string& pre,
                                     int64_t in, int64_t out) {
  TaesdBlock b;
  EBB_ASSIGN_OR_RETURN(b.conv0, Conv(p, pre + ".conv.0", in, out, 3, true));
  EBB_ASSIGN_OR_RETURN(b.conv1, Conv(p, pre + ".conv.2", out, out, 3, true));
  EBB_ASSIGN_OR_RETURN(b.conv2, Conv(p, pre + ".conv.4", out, out, 3, true));
  if (in != out) {
    EBB_ASSIGN_OR_RETURN(b.skip, Conv(p, pre + ".skip", in, out, 1, false));
  }
  return b;
}

}  // namespace

absl::StatusOr<TaesdConfig> ParseTaesdConfig(const std::string& text) {
  TaesdConfig c;
  try {
    auto j = nlohmann::json::parse(text);
    c.latent_channels = j.value("latent_channels", c.latent_channels);
    c.out_channels = j.value("out_channels", c.out_channels);
    c.block_out_channels =
        j.value("decoder_block_out_channels", c.block_out_channels);
    c.num_blocks = j.value("num_decoder_blocks", c.num_blocks);
    c.scaling_factor = j.value("scaling_factor", c.scaling_factor);
    for (auto [key, want] :
         {std::pair{"act_fn", "relu"}, {"upsample_fn", "nearest"}}) {
      std::string v = j.value(key, std::string(want));
      if (v != want) {
        return absl::InvalidArgumentError(
            absl::StrCat("TAESD config: ", key, " \"", v,
                         "\" is not supported (only \"", want, "\")"));
      }
    }
    if (j.value("upsampling_scaling_factor", 2) != 2) {
      return absl::InvalidArgumentError(
          "TAESD config: upsampling_scaling_factor must be 2");
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("TAESD config.json is not valid: ", e.what()));
  }
  if (c.block_out_channels.empty() ||
      c.block_out_channels.size() != c.num_blocks.size()) {
    return absl::InvalidArgumentError(
        "TAESD config: decoder_block_out_channels and num_decoder_blocks "
        "must be non-empty lists of one length");
  }
  return c;
}

at::Tensor TaesdBlock::operator()(const at::Tensor& x) const {
  at::Tensor h = conv2(at::relu(conv1(at::relu(conv0(x)))));
  return at::relu(h + (skip ? (*skip)(x) : x));
}

absl::StatusOr<TaesdDecoder> TaesdDecoder::Load(ParamSource& p,
                                                const TaesdConfig& c) {
  TaesdDecoder d;
  d.config_ = c;
  const auto& ch = c.block_out_channels;
  const int n = static_cast<int>(ch.size());
  EBB_ASSIGN_OR_RETURN(d.conv_in_, Conv(p, "decoder.layers.0",
                                        c.latent_channels, ch[0], 3, true));
  int k = 2;  // after conv_in and its ReLU
  int64_t in = ch[0];
  for (int i = 0; i < n; ++i) {
    Stage s;
    for (int b = 0; b < c.num_blocks[i]; ++b, ++k) {
      EBB_ASSIGN_OR_RETURN(
          auto blk,
          LoadBlock(p, absl::StrCat("decoder.layers.", k), in, ch[i]));
      s.blocks.push_back(std::move(blk));
      in = ch[i];
    }
    const bool last = i + 1 == n;
    if (!last) ++k;  // the Upsample
    EBB_ASSIGN_OR_RETURN(s.conv, Conv(p, absl::StrCat("decoder.layers.", k++),
                                      in, last ? c.out_channels : ch[i], 3,
                                      /*bias=*/last));
    d.stages_.push_back(std::move(s));
  }
  return d;
}

absl::StatusOr<at::Tensor> TaesdDecoder::Decode(
    const at::Tensor& latents) const {
  if (latents.dim() != 4 || latents.size(1) != config_.latent_channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TAESD latents must be [B, ", config_.latent_channels, ", h, w]"));
  }
  at::Tensor x = at::tanh(latents / config_.scaling_factor / 3) * 3;
  x = at::relu(conv_in_(x));
  for (size_t i = 0; i < stages_.size(); ++i) {
    for (const auto& b : stages_[i].blocks) x = b(x);
    if (i + 1 < stages_.size()) {
      x = at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
    }
    x = stages_[i].conv(x);
  }
  return x * 2 - 1;
}

}  // namespace ebb::inference::diffusion
