// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/vae_decoder.h
//
// The decoder half of diffusers' AutoencoderKL (huggingface/diffusers:
// models/autoencoders/autoencoder_kl.py, vae.py Decoder):
//   z = latents / scaling_factor; z = post_quant_conv(z)   (1x1)
//   x = decoder.conv_in(z)                                 (-> C_last)
//   mid: resnet, attention (1 head of C_last, GroupNorm eps 1e-6, residual),
//        resnet
//   up block i (channels reversed): layers_per_block + 1 resnets; then (not
//        last) nearest x2 + upsamplers.0.conv
//   out = conv_out(silu(conv_norm_out(x)))  in about [-1, 1]
// GroupNorms use eps 1e-6. The mid attention accepts both namings: current
// diffusers (group_norm, to_q, to_k, to_v, to_out.0) and the older one of
// diffusers <= 0.13 files such as SD 1.5's VAE (group_norm, query, key,
// value, proj_attn).
//
// Thread-safety: Decode is const; see layers.h.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_VAE_DECODER_H_
#define EBB_INFERENCE_DIFFUSION_NETS_VAE_DECODER_H_

#include <ATen/core/Tensor.h>

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/nets/layers.h"

namespace ebb::inference::diffusion {

class VaeDecoder {
 public:
  static absl::StatusOr<VaeDecoder> Load(ParamSource& p,
                                         const VaeConfig& config);
  // latents [B, latent_channels, h, w] (as the sampler leaves them, before
  // dividing by scaling_factor) -> [B, out_channels, h*2^(n-1), w*2^(n-1)],
  // about [-1, 1], not clamped.
  absl::StatusOr<at::Tensor> Decode(const at::Tensor& latents) const;
  const VaeConfig& config() const { return config_; }

 private:
  struct UpBlock {
    std::vector<ResnetBlock2D> resnets;
    std::optional<Conv2d> upsampler;
  };
  VaeConfig config_;
  Conv2d post_quant_conv_, conv_in_, conv_out_;
  ResnetBlock2D mid_res0_, mid_res1_;
  std::optional<GroupNorm> attn_norm_;
  std::optional<AttentionLayer> attn_;
  std::vector<UpBlock> up_;
  GroupNorm norm_out_;
};

// [B, 3, H, W] in [-1, 1] -> 8-bit RGB, row-major, image by image:
// round(clamp((x + 1) / 2, 0, 1) * 255).
std::vector<std::vector<uint8_t>> ToRgb8(const at::Tensor& images);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_VAE_DECODER_H_
