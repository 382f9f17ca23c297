// SPDX-License-Identifier: Apache-2.0
//
// File: bench/diffusion/archs.h
//
// The diffusers config.json texts of the two full-size architectures the
// diffusion benchmark builds with random weights: runwayml/stable-diffusion-
// v1-5 (CLIP ViT-L/14 text encoder, UNet with 1x1-conv projections, cross-
// attention 768) and stabilityai/sd-turbo (SD 2.1 shape: OpenCLIP ViT-H/14
// text encoder of 23 layers, gelu; UNet with linear projections, 5/10/20/20
// heads of 64, cross-attention 1024). Both share AutoencoderKL's decoder.
#ifndef EBB_BENCH_DIFFUSION_ARCHS_H_
#define EBB_BENCH_DIFFUSION_ARCHS_H_

namespace ebb::bench {

struct ArchJson {
  const char* name;
  const char* text_encoder;
  const char* unet;
  const char* vae;
};

inline constexpr char kVaeJson[] = R"({
  "_class_name": "AutoencoderKL", "act_fn": "silu",
  "block_out_channels": [128, 256, 512, 512],
  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D",
                       "DownEncoderBlock2D", "DownEncoderBlock2D"],
  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D",
                     "UpDecoderBlock2D", "UpDecoderBlock2D"],
  "in_channels": 3, "latent_channels": 4, "layers_per_block": 2,
  "norm_num_groups": 32, "out_channels": 3, "sample_size": 512,
  "scaling_factor": 0.18215})";

inline constexpr ArchJson kSd15{
    "sd15",
    R"({"hidden_act": "quick_gelu", "hidden_size": 768,
        "intermediate_size": 3072, "num_attention_heads": 12,
        "num_hidden_layers": 12, "max_position_embeddings": 77,
        "vocab_size": 49408, "layer_norm_eps": 1e-05})",
    R"({"_class_name": "UNet2DConditionModel", "act_fn": "silu",
        "attention_head_dim": 8,
        "block_out_channels": [320, 640, 1280, 1280],
        "cross_attention_dim": 768,
        "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                             "CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D",
                           "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4,
        "layers_per_block": 2, "norm_eps": 1e-05, "norm_num_groups": 32,
        "out_channels": 4, "sample_size": 64})",
    kVaeJson};

inline constexpr ArchJson kSdTurbo{
    "sd-turbo",
    R"({"hidden_act": "gelu", "hidden_size": 1024,
        "intermediate_size": 4096, "num_attention_heads": 16,
        "num_hidden_layers": 23, "max_position_embeddings": 77,
        "vocab_size": 49408, "layer_norm_eps": 1e-05})",
    R"({"_class_name": "UNet2DConditionModel", "act_fn": "silu",
        "attention_head_dim": [5, 10, 20, 20],
        "block_out_channels": [320, 640, 1280, 1280],
        "cross_attention_dim": 1024, "use_linear_projection": true,
        "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                             "CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D",
                           "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4,
        "layers_per_block": 2, "norm_eps": 1e-05, "norm_num_groups": 32,
        "out_channels": 4, "sample_size": 64})",
    kVaeJson};

}  // namespace ebb::bench

#endif  // EBB_BENCH_DIFFUSION_ARCHS_H_
