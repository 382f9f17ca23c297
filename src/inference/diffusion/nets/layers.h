// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/layers.h
//
// The building blocks of Stable Diffusion's networks, on libtorch (ATen) CPU
// float32 tensors, parameters named as diffusers names them:
//
//   Linear        y = x W^T + b; W [out, in]
//   Conv2d        NCHW, W [out, in, k, k], zero padding
//   GroupNorm     per sample, per group of C/groups channels: (x - mean) /
//                 sqrt(var + eps) * w + b (biased variance)
//   LayerNorm     over the last dimension, same formula
//   Attention     multi-head scaled dot product: softmax(Q K^T / sqrt(d)) V,
//                 per head of d = C / heads, queries processed in chunks of
//                 kAttentionChunk rows so the score buffer stays bounded
//                 (at 64x64 latents: [heads, 1024, 4096] floats, 128 MB for
//                 8 heads, instead of 512 MB)
//   TimestepEmbedding  diffusers get_timestep_embedding: half = dim/2,
//                 f_i = exp(-ln(10000) i / (half - shift)), emb = [sin(t f),
//                 cos(t f)], swapped to [cos, sin] when flip_sin_to_cos
//   GEGLU         proj -> (h, g) halves of the last dim; h * gelu(g) (erf)
//   ResnetBlock2D diffusers ResnetBlock2D: conv1(silu(norm1 x)) [+ proj(silu
//                 emb)], conv2(silu(norm2 h)), + x or 1x1 conv_shortcut(x)
//   Transformer2D diffusers Transformer2DModel with one BasicTransformerBlock:
//                 GroupNorm(eps 1e-6), proj_in (1x1 conv or Linear), self-
//                 attention, cross-attention, GEGLU feed-forward, each
//                 pre-LayerNorm and residual, proj_out, + input
//
// Tensor shapes are in each function's comment. Load* functions read the
// parameters from a ParamSource (weights.h) under a name prefix; their errors
// are the source's. Forward functions are const and may run concurrently on
// different inputs; libtorch's intra-op threads are set by the caller
// (at::set_num_threads).
#ifndef EBB_INFERENCE_DIFFUSION_NETS_LAYERS_H_
#define EBB_INFERENCE_DIFFUSION_NETS_LAYERS_H_

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "inference/diffusion/nets/weights.h"

namespace ebb::inference::diffusion {

inline constexpr int64_t kAttentionChunk = 1024;

struct Linear {
  at::Tensor weight, bias;  // bias undefined when absent
  at::Tensor operator()(const at::Tensor& x) const;  // [..., in] -> [..., out]
};
absl::StatusOr<Linear> LoadLinear(ParamSource& p, const std::string& prefix,
                                  int64_t in, int64_t out, bool bias = true);

struct Conv2d {
  at::Tensor weight, bias;
  int64_t stride = 1, padding = 0;
  at::Tensor operator()(const at::Tensor& x) const;  // [N, in, H, W]
};
absl::StatusOr<Conv2d> LoadConv2d(ParamSource& p, const std::string& prefix,
                                  int64_t in, int64_t out, int64_t kernel,
                                  int64_t stride = 1, int64_t padding = -1);

struct GroupNorm {
  at::Tensor weight, bias;
  int64_t groups = 32;
  double eps = 1e-5;
  at::Tensor operator()(const at::Tensor& x) const;  // [N, C, ...]
};
absl::StatusOr<GroupNorm> LoadGroupNorm(ParamSource& p,
                                        const std::string& prefix, int64_t c,
                                        int64_t groups, double eps);

struct LayerNorm {
  at::Tensor weight, bias;
  double eps = 1e-5;
  at::Tensor operator()(const at::Tensor& x) const;  // [..., C]
};
absl::StatusOr<LayerNorm> LoadLayerNorm(ParamSource& p,
                                        const std::string& prefix, int64_t c,
                                        double eps);

// q [B, N, H*d], k and v [B, M, H*d] -> [B, N, H*d]. `causal`: query i sees
// keys j <= i only (CLIP).
at::Tensor MultiHeadAttention(const at::Tensor& q, const at::Tensor& k,
                              const at::Tensor& v, int64_t heads,
                              bool causal = false,
                              int64_t chunk = kAttentionChunk);

// t [B] (any float) -> [B, dim].
at::Tensor TimestepEmbedding(const at::Tensor& t, int64_t dim,
                             bool flip_sin_to_cos, double shift);

// x [..., 2n] -> [..., n]: first half * gelu(second half).
at::Tensor Geglu(const at::Tensor& x);

// CLIP's quick_gelu: x * sigmoid(1.702 x).
at::Tensor QuickGelu(const at::Tensor& x);

struct AttentionLayer {  // diffusers Attention: to_q, to_k, to_v, to_out.0
  Linear q, k, v, out;
  int64_t heads = 1;
  // x [B, N, C], context [B, M, Cc] (or x itself when undefined).
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& context) const;
};
// `qkv_bias`: to_q/k/v have biases (the VAE's) or not (the UNet's).
absl::StatusOr<AttentionLayer> LoadAttention(ParamSource& p,
                                             const std::string& prefix,
                                             int64_t dim, int64_t context_dim,
                                             int64_t heads, bool qkv_bias);

struct ResnetBlock2D {
  GroupNorm norm1, norm2;
  Conv2d conv1, conv2;
  std::optional<Linear> time_emb_proj;  // UNet only
  std::optional<Conv2d> conv_shortcut;  // when in != out
  // x [B, in, H, W], emb [B, T] (undefined for the VAE) -> [B, out, H, W].
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& emb) const;
};
// temb_channels 0: no time embedding (VAE).
absl::StatusOr<ResnetBlock2D> LoadResnetBlock2D(ParamSource& p,
                                                const std::string& prefix,
                                                int64_t in, int64_t out,
                                                int64_t temb_channels,
                                                int64_t groups, double eps);

struct Transformer2D {
  GroupNorm norm;
  std::optional<Conv2d> proj_in_conv, proj_out_conv;
  std::optional<Linear> proj_in_linear, proj_out_linear;
  LayerNorm norm1, norm2, norm3;
  AttentionLayer attn1, attn2;
  Linear ff_in, ff_out;
  // x [B, C, H, W], context [B, M, Cc] -> [B, C, H, W].
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& context) const;
};
absl::StatusOr<Transformer2D> LoadTransformer2D(
    ParamSource& p, const std::string& prefix, int64_t channels, int64_t heads,
    int64_t context_dim, bool linear_projection, int64_t groups);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_LAYERS_H_
