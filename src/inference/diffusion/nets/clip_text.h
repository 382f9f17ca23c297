// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/clip_text.h
//
// CLIP's text transformer as Stable Diffusion uses it (transformers'
// CLIPTextModel, huggingface/transformers: models/clip/modeling_clip.py):
// token + position embeddings; num_hidden_layers pre-LayerNorm encoder layers
// (causal self-attention with q/k/v/out projections, MLP fc1 -> quick_gelu
// or gelu -> fc2, each residual); final_layer_norm. The UNet's context is
// that last hidden state.
//
// Parameters (diffusers' text_encoder/model.safetensors names):
//   text_model.embeddings.token_embedding.weight     [vocab, D]
//   text_model.embeddings.position_embedding.weight  [positions, D]
//   text_model.encoder.layers.N.{layer_norm1,layer_norm2}.{weight,bias}
//   text_model.encoder.layers.N.self_attn.{q,k,v,out}_proj.{weight,bias}
//   text_model.encoder.layers.N.mlp.{fc1 [I, D], fc2 [D, I]}.{weight,bias}
//   text_model.final_layer_norm.{weight,bias}
// (position_ids and the projection head are not read.)
//
// Thread-safety: Forward is const; see layers.h.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_CLIP_TEXT_H_
#define EBB_INFERENCE_DIFFUSION_NETS_CLIP_TEXT_H_

#include <ATen/core/Tensor.h>

#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/nets/layers.h"

namespace ebb::inference::diffusion {

class ClipTextEncoder {
 public:
  static absl::StatusOr<ClipTextEncoder> Load(ParamSource& p,
                                              const ClipTextConfig& config);
  // ids [B, L] int64, L <= max_position_embeddings, ids < vocab_size
  // -> [B, L, hidden_size] float32. InvalidArgument for ids out of range
  // or a too long sequence.
  absl::StatusOr<at::Tensor> Forward(const at::Tensor& ids) const;

  const ClipTextConfig& config() const { return config_; }

 private:
  struct Layer {
    LayerNorm ln1, ln2;
    Linear q, k, v, out, fc1, fc2;
  };
  ClipTextConfig config_;
  at::Tensor token_embedding_, position_embedding_;
  std::vector<Layer> layers_;
  LayerNorm final_ln_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_CLIP_TEXT_H_
