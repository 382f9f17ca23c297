// SPDX-License-Identifier: Apache-2.0
// diffusers name -> single-file (LDM/SGM) name, and the reverse writer.
// The tables follow huggingface/diffusers:
// scripts/convert_diffusers_to_original_stable_diffusion.py (restated, no
// code copied).
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <utility>

#include "inference/diffusion/single_file/cat.h"
#include "inference/diffusion/single_file/ldm_layout.h"

namespace ebb::inference::diffusion {
using single_file_internal::Cat;

namespace {

bool Eat(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Reads "N." from the front of `s`.
std::optional<int> EatIndex(std::string_view& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() || end == s.data() + s.size() ||
      *end != '.') {
    return std::nullopt;
  }
  s.remove_prefix(end - s.data() + 1);
  return v;
}

// Renames the first component of `rest` by `table`; nullopt when absent.
std::optional<std::string> Rename(
    std::string_view rest,
    std::initializer_list<std::pair<std::string_view, std::string_view>>
        table) {
  for (auto [from, to] : table) {
    std::string_view r = rest;
    if (Eat(r, from)) return Cat(to, r);
  }
  return std::nullopt;
}

std::optional<std::string> UNetResnet(std::string_view r) {
  return Rename(r, {{"norm1.", "in_layers.0."},
                    {"conv1.", "in_layers.2."},
                    {"time_emb_proj.", "emb_layers.1."},
                    {"norm2.", "out_layers.0."},
                    {"conv2.", "out_layers.3."},
                    {"conv_shortcut.", "skip_connection."}});
}

std::optional<std::string> MapUNet(const UNetConfig& c, std::string_view s) {
  const int per = c.layers_per_block + 1;
  if (auto r = Rename(s, {{"conv_in.", "input_blocks.0.0."},
                          {"time_embedding.linear_1.", "time_embed.0."},
                          {"time_embedding.linear_2.", "time_embed.2."},
                          {"conv_norm_out.", "out.0."},
                          {"conv_out.", "out.2."}})) {
    return r;
  }
  if (Eat(s, "mid_block.resnets.")) {
    auto k = EatIndex(s);
    if (!k || *k > 1) return std::nullopt;
    auto res = UNetResnet(s);
    if (!res) return std::nullopt;
    return Cat("middle_block.", *k == 0 ? 0 : 2, ".", *res);
  }
  if (Eat(s, "mid_block.attentions.0.")) return Cat("middle_block.1.", s);
  const bool down = Eat(s, "down_blocks.");
  if (!down && !Eat(s, "up_blocks.")) return std::nullopt;
  auto i = EatIndex(s);
  if (!i || *i >= static_cast<int>(c.block_out_channels.size())) {
    return std::nullopt;
  }
  const char* blocks = down ? "input_blocks." : "output_blocks.";
  if (down && Eat(s, "downsamplers.0.conv.")) {
    return Cat(blocks, (*i + 1) * per, ".0.op.", s);
  }
  if (!down && Eat(s, "upsamplers.0.conv.")) {
    return Cat(blocks, *i * per + c.layers_per_block, ".",
               c.up_cross_attention[*i] ? 2 : 1, ".conv.", s);
  }
  const bool resnet = Eat(s, "resnets.");
  if (!resnet && !Eat(s, "attentions.")) return std::nullopt;
  auto j = EatIndex(s);
  if (!j) return std::nullopt;
  const int index = down ? *i * per + *j + 1 : *i * per + *j;
  if (!resnet) return Cat(blocks, index, ".1.", s);
  auto res = UNetResnet(s);
  if (!res) return std::nullopt;
  return Cat(blocks, index, ".0.", *res);
}

std::optional<LdmTensorRef> MapVae(const VaeConfig& c, std::string_view s) {
  if (s.starts_with("post_quant_conv.") || s.starts_with("decoder.conv_in.") ||
      s.starts_with("decoder.conv_out.")) {
    return LdmTensorRef{std::string(s)};
  }
  if (Eat(s, "decoder.conv_norm_out.")) {
    return LdmTensorRef{Cat("decoder.norm_out.", s)};
  }
  auto resnet = [](std::string_view r) -> std::string {
    std::string_view rr = r;
    if (Eat(rr, "conv_shortcut.")) return Cat("nin_shortcut.", rr);
    return std::string(r);
  };
  if (Eat(s, "decoder.mid_block.attentions.0.")) {
    const bool weight = s.ends_with(".weight");
    auto r = Rename(s, {{"group_norm.", "norm."},
                        {"to_q.", "q."},
                        {"query.", "q."},
                        {"to_k.", "k."},
                        {"key.", "k."},
                        {"to_v.", "v."},
                        {"value.", "v."},
                        {"to_out.0.", "proj_out."},
                        {"proj_attn.", "proj_out."}});
    if (!r) return std::nullopt;
    return LdmTensorRef{Cat("decoder.mid.attn_1.", *r), -1,
                        weight && !r->starts_with("norm.")};
  }
  if (Eat(s, "decoder.mid_block.resnets.")) {
    auto k = EatIndex(s);
    if (!k || *k > 1) return std::nullopt;
    return LdmTensorRef{Cat("decoder.mid.block_", *k + 1, ".", resnet(s))};
  }
  if (!Eat(s, "decoder.up_blocks.")) return std::nullopt;
  auto i = EatIndex(s);
  const int n = static_cast<int>(c.block_out_channels.size());
  if (!i || *i >= n) return std::nullopt;
  const int up = n - 1 - *i;  // LDM numbers the up blocks in reverse
  if (Eat(s, "upsamplers.0.conv.")) {
    return LdmTensorRef{Cat("decoder.up.", up, ".upsample.conv.", s)};
  }
  if (!Eat(s, "resnets.")) return std::nullopt;
  auto j = EatIndex(s);
  if (!j) return std::nullopt;
  return LdmTensorRef{Cat("decoder.up.", up, ".block.", *j, ".", resnet(s))};
}

std::optional<LdmTensorRef> MapOpenClip(std::string_view s) {
  if (s == "text_model.embeddings.token_embedding.weight") {
    return LdmTensorRef{"token_embedding.weight"};
  }
  if (s == "text_model.embeddings.position_embedding.weight") {
    return LdmTensorRef{"positional_embedding"};
  }
  if (Eat(s, "text_model.final_layer_norm.")) {
    return LdmTensorRef{Cat("ln_final.", s)};
  }
  if (!Eat(s, "text_model.encoder.layers.")) return std::nullopt;
  auto l = EatIndex(s);
  if (!l) return std::nullopt;
  const std::string pre = Cat("transformer.resblocks.", *l, ".");
  int part = -1;
  if (Eat(s, "self_attn.q_proj."))
    part = 0;
  else if (Eat(s, "self_attn.k_proj."))
    part = 1;
  else if (Eat(s, "self_attn.v_proj."))
    part = 2;
  if (part >= 0) {
    if (s != "weight" && s != "bias") return std::nullopt;
    return LdmTensorRef{Cat(pre, "attn.in_proj_", s), part};
  }
  auto r = Rename(s, {{"layer_norm1.", "ln_1."},
                      {"layer_norm2.", "ln_2."},
                      {"self_attn.out_proj.", "attn.out_proj."},
                      {"mlp.fc1.", "mlp.c_fc."},
                      {"mlp.fc2.", "mlp.c_proj."}});
  if (!r) return std::nullopt;
  return LdmTensorRef{pre + *r};
}

}  // namespace

absl::StatusOr<LdmTensorRef> LdmName(const LdmArchitecture& a,
                                     LdmComponent component,
                                     std::string_view name) {
  std::optional<LdmTensorRef> ref;
  switch (component) {
    case LdmComponent::kUNet:
      if (auto n = MapUNet(a.unet, name)) {
        ref = LdmTensorRef{Cat("model.diffusion_model.", *n)};
      }
      break;
    case LdmComponent::kVae:
      ref = MapVae(a.vae, name);
      if (ref) ref->name = Cat("first_stage_model.", ref->name);
      break;
    case LdmComponent::kTextEncoder:
      if (a.family == LdmFamily::kSd1) {
        if (name.starts_with("text_model.")) {
          ref = LdmTensorRef{Cat(a.text_prefix, name)};
        }
      } else {
        ref = MapOpenClip(name);
        if (ref) ref->name = a.text_prefix + ref->name;
      }
      break;
  }
  if (!ref) {
    return absl::InvalidArgumentError(
        Cat("no single-file name for '", name, "' (", a.Describe(), ")"));
  }
  return *ref;
}

bool IsIgnoredLdmTensor(const LdmArchitecture& a, std::string_view name) {
  for (std::string_view p :
       {"first_stage_model.encoder.", "first_stage_model.quant_conv.",
        "model_ema.", "denoiser.", "betas", "alphas_cumprod", "sqrt_",
        "log_one_minus_alphas_cumprod", "posterior_", "lvlb_weights"}) {
    if (name.starts_with(p)) return true;
  }
  if (name.ends_with("position_ids")) return true;
  if (a.family == LdmFamily::kSd2 && name.starts_with(a.text_prefix)) {
    std::string_view rest = name.substr(a.text_prefix.size());
    if (rest == "text_projection" || rest == "logit_scale") return true;
    const std::string last =
        Cat("transformer.resblocks.", a.text.num_hidden_layers, ".");
    if (rest.starts_with(last)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<TensorToWrite>> ToLdmTensors(
    const LdmArchitecture& a, const std::vector<TensorToWrite>& text,
    const std::vector<TensorToWrite>& unet,
    const std::vector<TensorToWrite>& vae) {
  std::vector<TensorToWrite> out;
  // Fused in_proj: name -> the three parts in q, k, v order.
  std::map<std::string, std::array<const TensorToWrite*, 3>> fused;
  for (auto [component, tensors] :
       {std::pair{LdmComponent::kTextEncoder, &text},
        {LdmComponent::kUNet, &unet},
        {LdmComponent::kVae, &vae}}) {
    for (const TensorToWrite& t : *tensors) {
      auto ref = LdmName(a, component, t.name);
      if (!ref.ok()) return ref.status();
      if (ref->qkv_part >= 0) {
        fused[ref->name][ref->qkv_part] = &t;
        continue;
      }
      TensorToWrite w = t;
      w.name = ref->name;
      if (ref->conv1x1) w.shape.insert(w.shape.end(), {1, 1});
      out.push_back(std::move(w));
    }
  }
  for (const auto& [name, parts] : fused) {
    if (!parts[0] || !parts[1] || !parts[2] ||
        parts[0]->dtype != parts[1]->dtype ||
        parts[0]->dtype != parts[2]->dtype) {
      return absl::InvalidArgumentError(
          Cat(name, ": q, k and v must all be given, in one dtype"));
    }
    TensorToWrite w = *parts[0];
    w.name = name;
    w.shape[0] *= 3;
    w.bytes = parts[0]->bytes + parts[1]->bytes + parts[2]->bytes;
    out.push_back(std::move(w));
  }
  // What real files carry beside the used tensors.
  if (a.family == LdmFamily::kSd2) {
    const std::string last = Cat(a.text_prefix, "transformer.resblocks.",
                                 a.text.num_hidden_layers - 1, ".");
    const std::string extra = Cat(a.text_prefix, "transformer.resblocks.",
                                  a.text.num_hidden_layers, ".");
    const size_t n = out.size();
    for (size_t i = 0; i < n; ++i) {
      if (!out[i].name.starts_with(last)) continue;
      TensorToWrite w = out[i];
      w.name = extra + out[i].name.substr(last.size());
      if (w.name.ends_with("attn.out_proj.weight")) {
        TensorToWrite proj = out[i];
        proj.name = a.text_prefix + "text_projection";
        out.push_back(std::move(proj));
      }
      out.push_back(std::move(w));
    }
  } else {
    TensorToWrite ids{a.text_prefix + "text_model.embeddings.position_ids",
                      DType::kI64,
                      {1, a.text.max_position_embeddings},
                      {}};
    for (int64_t i = 0; i < a.text.max_position_embeddings; ++i) {
      ids.bytes.append(reinterpret_cast<const char*>(&i), sizeof(i));
    }
    out.push_back(std::move(ids));
  }
  const int64_t c0 = a.vae.block_out_channels.front();
  out.push_back({"first_stage_model.encoder.conv_in.weight",
                 DType::kF32,
                 {c0, 3, 3, 3},
                 std::string(c0 * 27 * 4, '\0')});
  if (a.sgm) {
    out.push_back(
        {"denoiser.sigmas", DType::kF32, {1000}, std::string(1000 * 4, '\0')});
  }
  return out;
}

}  // namespace ebb::inference::diffusion
