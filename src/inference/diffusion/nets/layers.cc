// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/nets/layers.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "common/status.h"

namespace ebb::inference::diffusion {

at::Tensor Linear::operator()(const at::Tensor& x) const {
  return at::linear(
      x, weight,
      bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
}

absl::StatusOr<Linear> LoadLinear(ParamSource& p, const std::string& prefix,
                                  int64_t in, int64_t out, bool bias) {
  Linear l;
  EBB_ASSIGN_OR_RETURN(l.weight, p.Get(prefix + ".weight", {out, in}));
  if (bias) {
    EBB_ASSIGN_OR_RETURN(l.bias, p.Get(prefix + ".bias", {out}));
  }
  return l;
}

at::Tensor Conv2d::operator()(const at::Tensor& x) const {
  return at::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
}

absl::StatusOr<Conv2d> LoadConv2d(ParamSource& p, const std::string& prefix,
                                  int64_t in, int64_t out, int64_t kernel,
                                  int64_t stride, int64_t padding) {
  Conv2d c;
  c.stride = stride;
  c.padding = padding < 0 ? kernel / 2 : padding;
  EBB_ASSIGN_OR_RETURN(c.weight,
                       p.Get(prefix + ".weight", {out, in, kernel, kernel}));
  EBB_ASSIGN_OR_RETURN(c.bias, p.Get(prefix + ".bias", {out}));
  return c;
}

at::Tensor GroupNorm::operator()(const at::Tensor& x) const {
  return at::group_norm(x, groups, weight, bias, eps);
}

absl::StatusOr<GroupNorm> LoadGroupNorm(ParamSource& p,
                                        const std::string& prefix, int64_t c,
                                        int64_t groups, double eps) {
  GroupNorm n;
  n.groups = groups;
  n.eps = eps;
  EBB_ASSIGN_OR_RETURN(n.weight, p.Get(prefix + ".weight", {c}));
  EBB_ASSIGN_OR_RETURN(n.bias, p.Get(prefix + ".bias", {c}));
  return n;
}

at::Tensor LayerNorm::operator()(const at::Tensor& x) const {
  return at::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

absl::StatusOr<LayerNorm> LoadLayerNorm(ParamSource& p,
                                        const std::string& prefix, int64_t c,
                                        double eps) {
  LayerNorm n;
  n.eps = eps;
  EBB_ASSIGN_OR_RETURN(n.weight, p.Get(prefix + ".weight", {c}));
  EBB_ASSIGN_OR_RETURN(n.bias, p.Get(prefix + ".bias", {c}));
  return n;
}

at::Tensor MultiHeadAttention(const at::Tensor& q, const at::Tensor& k,
                              const at::Tensor& v, int64_t heads, bool causal,
                              int64_t chunk) {
  const int64_t b = q.size(0), n = q.size(1), m = k.size(1);
  const int64_t d = q.size(2) / heads;
  // [B, N, H*d] -> [B*H, N, d]
  auto split = [&](const at::Tensor& t, int64_t len) {
    return t.reshape({b, len, heads, d})
        .permute({0, 2, 1, 3})
        .reshape({b * heads, len, d});
  };
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  at::Tensor qh = split(q, n) * scale,
             kt = split(k, m).transpose(1, 2).contiguous(), vh = split(v, m);
  at::Tensor out = at::empty({b * heads, n, d}, q.options());
  at::Tensor scores;
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t rows = std::min(chunk, n - i);
    at::Tensor qc = qh.narrow(1, i, rows);
    scores = at::bmm(qc, kt);
    if (causal) {
      at::Tensor mask =
          at::ones({rows, m}, q.options().dtype(at::kBool)).triu(i + 1);
      scores.masked_fill_(mask, -std::numeric_limits<float>::infinity());
    }
    at::Tensor probs = at::softmax(scores, -1);
    out.narrow(1, i, rows).copy_(at::bmm(probs, vh));
  }
  return out.reshape({b, heads, n, d})
      .permute({0, 2, 1, 3})
      .reshape({b, n, heads * d});
}

at::Tensor TimestepEmbedding(const at::Tensor& t, int64_t dim,
                             bool flip_sin_to_cos, double shift) {
  const int64_t half = dim / 2;
  at::Tensor i = at::arange(half, t.options().dtype(at::kFloat));
  at::Tensor freqs = at::exp(i * (-std::log(10000.0) / (half - shift)));
  at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor emb = flip_sin_to_cos ? at::cat({at::cos(args), at::sin(args)}, 1)
                                   : at::cat({at::sin(args), at::cos(args)}, 1);
  if (dim % 2 == 1) emb = at::constant_pad_nd(emb, {0, 1});
  return emb;
}

at::Tensor Geglu(const at::Tensor& x) {
  auto parts = x.chunk(2, -1);
  return parts[0] * at::gelu(parts[1]);
}

at::Tensor QuickGelu(const at::Tensor& x) { return x * at::sigmoid(x * 1.702); }

at::Tensor AttentionLayer::operator()(const at::Tensor& x,
                                      const at::Tensor& context) const {
  const at::Tensor& c = context.defined() ? context : x;
  return out(MultiHeadAttention(q(x), k(c), v(c), heads));
}

absl::StatusOr<AttentionLayer> LoadAttention(ParamSource& p,
                                             const std::string& prefix,
                                             int64_t dim, int64_t context_dim,
                                             int64_t heads, bool qkv_bias) {
  AttentionLayer a;
  a.heads = heads;
  EBB_ASSIGN_OR_RETURN(a.q,
                       LoadLinear(p, prefix + ".to_q", dim, dim, qkv_bias));
  EBB_ASSIGN_OR_RETURN(
      a.k, LoadLinear(p, prefix + ".to_k", context_dim, dim, qkv_bias));
  EBB_ASSIGN_OR_RETURN(
      a.v, LoadLinear(p, prefix + ".to_v", context_dim, dim, qkv_bias));
  EBB_ASSIGN_OR_RETURN(a.out, LoadLinear(p, prefix + ".to_out.0", dim, dim));
  return a;
}

at::Tensor ResnetBlock2D::operator()(const at::Tensor& x,
                                     const at::Tensor& emb) const {
  at::Tensor h = conv1(at::silu(norm1(x)));
  if (time_emb_proj && emb.defined()) {
    h = h + (*time_emb_proj)(at::silu(emb)).unsqueeze(-1).unsqueeze(-1);
  }
  h = conv2(at::silu(norm2(h)));
  return (conv_shortcut ? (*conv_shortcut)(x) : x) + h;
}

absl::StatusOr<ResnetBlock2D> LoadResnetBlock2D(ParamSource& p,
                                                const std::string& prefix,
                                                int64_t in, int64_t out,
                                                int64_t temb_channels,
                                                int64_t groups, double eps) {
  ResnetBlock2D r;
  EBB_ASSIGN_OR_RETURN(r.norm1,
                       LoadGroupNorm(p, prefix + ".norm1", in, groups, eps));
  EBB_ASSIGN_OR_RETURN(r.conv1, LoadConv2d(p, prefix + ".conv1", in, out, 3));
  if (temb_channels > 0) {
    EBB_ASSIGN_OR_RETURN(
        r.time_emb_proj,
        LoadLinear(p, prefix + ".time_emb_proj", temb_channels, out));
  }
  EBB_ASSIGN_OR_RETURN(r.norm2,
                       LoadGroupNorm(p, prefix + ".norm2", out, groups, eps));
  EBB_ASSIGN_OR_RETURN(r.conv2, LoadConv2d(p, prefix + ".conv2", out, out, 3));
  if (in != out) {
    EBB_ASSIGN_OR_RETURN(r.conv_shortcut,
                         LoadConv2d(p, prefix + ".conv_shortcut", in, out, 1));
  }
  return r;
}

at::Tensor Transformer2D::operator()(const at::Tensor& x,
                                     const at::Tensor& context) const {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor y = norm(x);
  auto to_tokens = [&](const at::Tensor& t) {
    return t.permute({0, 2, 3, 1}).reshape({b, h * w, t.size(1)});
  };
  auto to_image = [&](const at::Tensor& t) {
    return t.reshape({b, h, w, t.size(2)}).permute({0, 3, 1, 2}).contiguous();
  };
  y = proj_in_conv ? to_tokens((*proj_in_conv)(y))
                   : (*proj_in_linear)(to_tokens(y));
  y = attn1(norm1(y), at::Tensor()) + y;
  y = attn2(norm2(y), context) + y;
  y = ff_out(Geglu(ff_in(norm3(y)))) + y;
  y = proj_out_conv ? (*proj_out_conv)(to_image(y))
                    : to_image((*proj_out_linear)(y));
  (void)c;
  return y + x;
}

absl::StatusOr<Transformer2D> LoadTransformer2D(
    ParamSource& p, const std::string& prefix, int64_t channels, int64_t heads,
    int64_t context_dim, bool linear_projection, int64_t groups) {
  Transformer2D t;
  const int64_t c = channels;
  EBB_ASSIGN_OR_RETURN(t.norm,
                       LoadGroupNorm(p, prefix + ".norm", c, groups, 1e-6));
  if (linear_projection) {
    EBB_ASSIGN_OR_RETURN(t.proj_in_linear,
                         LoadLinear(p, prefix + ".proj_in", c, c));
  } else {
    EBB_ASSIGN_OR_RETURN(t.proj_in_conv,
                         LoadConv2d(p, prefix + ".proj_in", c, c, 1));
  }
  const std::string blk = prefix + ".transformer_blocks.0";
  EBB_ASSIGN_OR_RETURN(t.norm1, LoadLayerNorm(p, blk + ".norm1", c, 1e-5));
  EBB_ASSIGN_OR_RETURN(t.attn1,
                       LoadAttention(p, blk + ".attn1", c, c, heads, false));
  EBB_ASSIGN_OR_RETURN(t.norm2, LoadLayerNorm(p, blk + ".norm2", c, 1e-5));
  EBB_ASSIGN_OR_RETURN(
      t.attn2, LoadAttention(p, blk + ".attn2", c, context_dim, heads, false));
  EBB_ASSIGN_OR_RETURN(t.norm3, LoadLayerNorm(p, blk + ".norm3", c, 1e-5));
  EBB_ASSIGN_OR_RETURN(t.ff_in,
                       LoadLinear(p, blk + ".ff.net.0.proj", c, 8 * c));
  EBB_ASSIGN_OR_RETURN(t.ff_out, LoadLinear(p, blk + ".ff.net.2", 4 * c, c));
  if (linear_projection) {
    EBB_ASSIGN_OR_RETURN(t.proj_out_linear,
                         LoadLinear(p, prefix + ".proj_out", c, c));
  } else {
    EBB_ASSIGN_OR_RETURN(t.proj_out_conv,
                         LoadConv2d(p, prefix + ".proj_out", c, c, 1));
  }
  return t;
}

}  // namespace ebb::inference::diffusion
