// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/unet.h
//
// diffusers' UNet2DConditionModel for SD 1.x/2.x (huggingface/diffusers:
// models/unets/unet_2d_condition.py, unet_2d_blocks.py), built from its
// config:
//   emb = linear_2(silu(linear_1(TimestepEmbedding(t, C0))))     C0 = block 0
//   x = conv_in(sample); skips = [x]
//   down block i: layers_per_block x (resnet, [transformer]) each pushed to
//     skips; then (not last) downsamplers.0.conv, stride 2, pushed
//   mid: resnet, transformer, resnet
//   up block i (channels reversed): layers_per_block+1 x (concat a popped
//     skip on channels, resnet, [transformer]); then (not last) nearest x2 +
//     upsamplers.0.conv
//   out = conv_out(silu(conv_norm_out(x)))
// Parameter names are diffusers' (conv_in, time_embedding.linear_1,
// down_blocks.I.resnets.J..., down_blocks.I.attentions.J..., mid_block...,
// up_blocks..., conv_norm_out, conv_out); see layers.h for the blocks.
//
// Thread-safety: Forward is const; see layers.h.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_UNET_H_
#define EBB_INFERENCE_DIFFUSION_NETS_UNET_H_

#include <ATen/core/Tensor.h>

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/nets/layers.h"

namespace ebb::inference::diffusion {

class UNet {
 public:
  static absl::StatusOr<UNet> Load(ParamSource& p, const UNetConfig& config);
  // sample [B, in_channels, h, w] (h, w multiples of 2^(blocks-1)),
  // timestep [B] (float), context [B, M, cross_attention_dim]
  // -> [B, out_channels, h, w]. InvalidArgument for wrong shapes.
  absl::StatusOr<at::Tensor> Forward(const at::Tensor& sample,
                                     const at::Tensor& timestep,
                                     const at::Tensor& context) const;
  const UNetConfig& config() const { return config_; }

 private:
  struct Block {
    std::vector<ResnetBlock2D> resnets;
    std::vector<Transformer2D> attentions;  // empty for plain blocks
    std::optional<Conv2d> sampler;          // down: stride 2; up: after x2
  };
  UNetConfig config_;
  Conv2d conv_in_, conv_out_;
  Linear time_1_, time_2_;
  std::vector<Block> down_, up_;
  ResnetBlock2D mid_res0_, mid_res1_;
  Transformer2D mid_attn_;
  GroupNorm norm_out_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_UNET_H_
