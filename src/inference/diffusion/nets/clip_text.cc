// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/clip_text.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::inference::diffusion {

absl::StatusOr<ClipTextEncoder> ClipTextEncoder::Load(ParamSource& p,
                                                      const ClipTextConfig& c) {
  ClipTextEncoder e;
  e.config_ = c;
  const int64_t d = c.hidden_size, inter = c.intermediate_size;
  const double eps = c.layer_norm_eps;
  EBB_ASSIGN_OR_RETURN(
      e.token_embedding_,
      p.Get("text_model.embeddings.token_embedding.weight", {c.vocab_size, d}));
  EBB_ASSIGN_OR_RETURN(e.position_embedding_,
                       p.Get("text_model.embeddings.position_embedding.weight",
                             {c.max_position_embeddings, d}));
  for (int i = 0; i < c.num_hidden_layers; ++i) {
    const std::string pre = absl::StrCat("text_model.encoder.layers.", i);
    Layer l;
    EBB_ASSIGN_OR_RETURN(l.ln1, LoadLayerNorm(p, pre + ".layer_norm1", d, eps));
    EBB_ASSIGN_OR_RETURN(l.q, LoadLinear(p, pre + ".self_attn.q_proj", d, d));
    EBB_ASSIGN_OR_RETURN(l.k, LoadLinear(p, pre + ".self_attn.k_proj", d, d));
    EBB_ASSIGN_OR_RETURN(l.v, LoadLinear(p, pre + ".self_attn.v_proj", d, d));
    EBB_ASSIGN_OR_RETURN(l.out,
                         LoadLinear(p, pre + ".self_attn.out_proj", d, d));
    EBB_ASSIGN_OR_RETURN(l.ln2, LoadLayerNorm(p, pre + ".layer_norm2", d, eps));
    EBB_ASSIGN_OR_RETURN(l.fc1, LoadLinear(p, pre + ".mlp.fc1", d, inter));
    EBB_ASSIGN_OR_RETURN(l.fc2, LoadLinear(p, pre + ".mlp.fc2", inter, d));
    e.layers_.push_back(std::move(l));
  }
  EBB_ASSIGN_OR_RETURN(e.final_ln_,
                       LoadLayerNorm(p, "text_model.final_layer_norm", d, eps));
  return e;
}

absl::StatusOr<at::Tensor> ClipTextEncoder::Forward(
    const at::Tensor& ids) const {
  if (ids.dim() != 2 || ids.size(1) > config_.max_position_embeddings ||
      ids.size(1) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("text encoder input must be [batch, 1..",
                     config_.max_position_embeddings, "] token ids"));
  }
  at::Tensor ids64 = ids.to(at::kLong);
  if (ids64.min().item<int64_t>() < 0 ||
      ids64.max().item<int64_t>() >= config_.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("token id out of range 0..", config_.vocab_size - 1));
  }
  const int64_t len = ids.size(1);
  at::Tensor x = at::embedding(token_embedding_, ids64) +
                 position_embedding_.narrow(0, 0, len).unsqueeze(0);
  const bool quick = config_.hidden_act == "quick_gelu";
  for (const Layer& l : layers_) {
    at::Tensor h = l.ln1(x);
    x = x + l.out(MultiHeadAttention(l.q(h), l.k(h), l.v(h),
                                     config_.num_attention_heads,
                                     /*causal=*/true));
    h = l.fc1(l.ln2(x));
    h = quick ? QuickGelu(h) : at::gelu(h);
    x = x + l.fc2(h);
  }
  return final_ln_(x);
}

}  // namespace ebb::inference::diffusion
