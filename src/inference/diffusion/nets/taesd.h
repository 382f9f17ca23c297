// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/taesd.h
//
// TAESD, the tiny latent decoder for SD 1.x/2.x (madebyollin/taesd), as
// diffusers' AutoencoderTiny decoder (huggingface/diffusers:
// models/autoencoders/vae.py DecoderTiny, autoencoder_tiny.py):
//   x = tanh(latents / 3) * 3          (raw SD latents: scaling factor 1,
//                                       no division by 0.18215)
//   layers.0 conv 3x3 latent -> C0, ReLU
//   stage i: num_blocks[i] x Block(Ci); then (not last) nearest x2 and a
//            3x3 conv without bias; the last stage's conv is conv_out
//            (Ci -> out_channels, with bias)
//   out = x * 2 - 1                    (about [-1, 1], as the VAE's)
// Block(C): conv3x3, ReLU, conv3x3, ReLU, conv3x3 (named conv.0, conv.2,
// conv.4), plus a bias-free 1x1 `skip` when channels change (else identity),
// then ReLU of the sum.
//
// Parameters (taesd/diffusion_pytorch_model.safetensors, diffusers names):
//   decoder.layers.K.{weight,bias}              plain convs (K = position in
//                                               the Sequential, ReLU and
//                                               Upsample count too)
//   decoder.layers.K.conv.{0,2,4}.{weight,bias} blocks; .skip.weight
// For SD's config (64 channels, blocks 3,3,3,1): 0 conv_in, 2-4 blocks,
// 6 conv, 7-9, 11, 12-14, 16, 17 block, 18 conv_out. encoder.* is not read.
//
// Thread-safety: Decode is const; see layers.h.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_TAESD_H_
#define EBB_INFERENCE_DIFFUSION_NETS_TAESD_H_

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/nets/layers.h"

namespace ebb::inference::diffusion {

// AutoencoderTiny's config.json, decoder side (defaults: madebyollin/taesd).
struct TaesdConfig {
  int latent_channels = 4;
  int out_channels = 3;
  std::vector<int> block_out_channels = {64, 64, 64, 64};
  std::vector<int> num_blocks = {3, 3, 3, 1};
  double scaling_factor = 1.0;
};

// Reads decoder_block_out_channels, num_decoder_blocks, latent_channels,
// out_channels, scaling_factor; InvalidArgument for an act_fn other than
// relu, an upsample_fn other than nearest, upsampling_scaling_factor != 2,
// or lists of different lengths.
absl::StatusOr<TaesdConfig> ParseTaesdConfig(const std::string& json);

struct TaesdBlock {
  Conv2d conv0, conv1, conv2;
  std::optional<Conv2d> skip;
  at::Tensor operator()(const at::Tensor& x) const;  // [B, in, H, W]
};

class TaesdDecoder {
 public:
  static absl::StatusOr<TaesdDecoder> Load(ParamSource& p,
                                           const TaesdConfig& config);
  // latents [B, latent_channels, h, w], raw (as the sampler leaves them)
  // -> [B, out_channels, h*2^(n-1), w*2^(n-1)], about [-1, 1].
  absl::StatusOr<at::Tensor> Decode(const at::Tensor& latents) const;
  const TaesdConfig& config() const { return config_; }

 private:
  struct Stage {
    std::vector<TaesdBlock> blocks;
    Conv2d conv;  // after the x2 upsample; conv_out in the last stage
  };
  TaesdConfig config_;
  Conv2d conv_in_;
  std::vector<Stage> stages_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_TAESD_H_
