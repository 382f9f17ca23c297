// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/config/model_config.h
//
// The diffusers `config.json` of each network of a Stable Diffusion folder,
// parsed without libtorch (huggingface/diffusers: models/unets/
// unet_2d_condition.py, models/autoencoders/autoencoder_kl.py;
// huggingface/transformers: models/clip/configuration_clip.py).
//
// Unknown keys are ignored. Settings that change the architecture and are not
// implemented are InvalidArgument naming the key and value, e.g. SDXL's
// addition_embed_type "text_time" ("SDXL is not supported yet"), a block type
// other than the SD 1.x/2.x ones, transformer_layers_per_block != 1, an
// activation other than silu. Thread-safety: plain values.
#ifndef EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_CONFIG_H_
#define EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

// transformers' CLIPTextConfig (text_encoder/config.json).
struct ClipTextConfig {
  int vocab_size = 49408;
  int hidden_size = 512;
  int intermediate_size = 2048;
  int num_hidden_layers = 12;
  int num_attention_heads = 8;
  int max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";  // quick_gelu | gelu
  double layer_norm_eps = 1e-5;
};

// diffusers' UNet2DConditionModel (unet/config.json), SD 1.x/2.x subset.
struct UNetConfig {
  int in_channels = 4;
  int out_channels = 4;
  int sample_size = 64;
  std::vector<int> block_out_channels = {320, 640, 1280, 1280};
  // true for CrossAttnDownBlock2D / CrossAttnUpBlock2D, false for
  // DownBlock2D / UpBlock2D; same length as block_out_channels.
  std::vector<bool> down_cross_attention = {true, true, true, false};
  std::vector<bool> up_cross_attention = {false, true, true, true};
  int layers_per_block = 2;
  // Heads per down block (diffusers' "attention_head_dim" is really the head
  // count when num_attention_heads is absent); the mid block uses the last,
  // up blocks the reverse.
  std::vector<int> num_attention_heads = {8, 8, 8, 8};
  int cross_attention_dim = 1280;
  bool use_linear_projection = false;
  int norm_num_groups = 32;
  double norm_eps = 1e-5;
  bool flip_sin_to_cos = true;
  int freq_shift = 0;
};

// diffusers' AutoencoderKL (vae/config.json); only the decoder is built.
struct VaeConfig {
  int in_channels = 3;
  int out_channels = 3;
  int latent_channels = 4;
  std::vector<int> block_out_channels = {64};
  int layers_per_block = 1;
  int norm_num_groups = 32;
  double scaling_factor = 0.18215;
  int sample_size = 32;
  bool mid_block_add_attention = true;
};

absl::StatusOr<ClipTextConfig> ParseClipTextConfig(const std::string& json);
absl::StatusOr<UNetConfig> ParseUNetConfig(const std::string& json);
absl::StatusOr<VaeConfig> ParseVaeConfig(const std::string& json);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_CONFIG_MODEL_CONFIG_H_
