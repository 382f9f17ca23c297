// SPDX-License-Identifier: Apache-2.0
// Architecture inference from a single file's tensor names and shapes.
#include "inference/diffusion/single_file/ldm_layout.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_join.h"
#include "common/status.h"
#include "inference/diffusion/single_file/cat.h"

namespace ebb::inference::diffusion {
using single_file_internal::Cat;

namespace {

constexpr std::string_view kUNet = "model.diffusion_model.";
constexpr std::string_view kVae = "first_stage_model.";
constexpr std::string_view kSd1Text = "cond_stage_model.transformer.";
constexpr std::string_view kSd2Text = "cond_stage_model.model.";
constexpr std::string_view kSgmText = "conditioner.embedders.0.model.";

constexpr char kSd1Scheduler[] =
    R"({"_class_name": "PNDMScheduler", "beta_start": 0.00085,
        "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "steps_offset": 1, "set_alpha_to_one": false,
        "skip_prk_steps": true, "prediction_type": "epsilon"})";
constexpr char kTurboScheduler[] =
    R"({"_class_name": "EulerDiscreteScheduler", "beta_start": 0.00085,
        "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "timestep_spacing": "trailing", "steps_offset": 1,
        "set_alpha_to_one": false, "prediction_type": "epsilon"})";

const std::vector<int64_t>* Shape(const ShapeMap& m, std::string_view name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

bool HasPrefix(const ShapeMap& m, std::string_view prefix) {
  auto it = m.lower_bound(prefix);
  return it != m.end() && it->first.starts_with(prefix);
}

// "model.diffusion_model (686 tensors), first_stage_model (248 tensors)".
std::string Found(const ShapeMap& m) {
  std::map<std::string, int> counts;
  for (const auto& [name, shape] : m) {
    size_t dot = name.find('.');
    if (dot != std::string::npos) dot = name.find('.', dot + 1);
    counts[name.substr(0, dot)]++;
  }
  std::vector<std::string> parts;
  for (const auto& [p, n] : counts) {
    parts.push_back(Cat(p, " (", n, n == 1 ? " tensor)" : " tensors)"));
    if (parts.size() == 8) {
      parts.push_back("...");
      break;
    }
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status Unsupported(const std::string& what, const std::string& evidence,
                         const ShapeMap& m) {
  return absl::UnimplementedError(
      Cat(what, " checkpoints are not supported yet (found ", evidence,
          "); ebb loads SD 1.x, SD 2.x and sd-turbo single files. Tensors: ",
          Found(m)));
}

absl::Status BadShape(const std::string& name, const std::vector<int64_t>* s,
                      const std::string& expected) {
  return absl::InvalidArgumentError(
      Cat("tensor '", name, "' ",
          s ? Cat("has shape ", ShapeString(*s)) : "is missing", "; expected ",
          expected));
}

absl::Status InferUNet(const ShapeMap& m, UNetConfig* c) {
  const std::string p(kUNet);
  const auto* in = Shape(m, p + "input_blocks.0.0.weight");
  if (!in || in->size() != 4) {
    return BadShape(p + "input_blocks.0.0.weight", in, "[C, in, 3, 3]");
  }
  c->in_channels = static_cast<int>((*in)[1]);
  const auto* out = Shape(m, p + "out.2.weight");
  if (!out || out->size() != 4) {
    return BadShape(p + "out.2.weight", out, "[out, C, 3, 3]");
  }
  c->out_channels = static_cast<int>((*out)[0]);
  c->block_out_channels.clear();
  c->down_cross_attention.clear();
  std::vector<int> per_level;
  int count = 0;
  bool attn = false;
  int64_t width = 0;
  for (int k = 1;; ++k) {
    const std::string b = Cat(p, "input_blocks.", k, ".");
    const bool down = Shape(m, b + "0.op.weight") != nullptr;
    const auto* res = Shape(m, b + "0.in_layers.2.weight");
    if (!down && !res) break;
    if (res) {
      if (res->size() != 4)
        return BadShape(b + "0.in_layers.2.weight", res, "4-D");
      width = (*res)[0];
      attn = Shape(m, b + "1.proj_in.weight") != nullptr;
      ++count;
    }
    const bool last =
        !down &&
        !Shape(m, Cat(p, "input_blocks.", k + 1, ".0.in_layers.2.weight")) &&
        !Shape(m, Cat(p, "input_blocks.", k + 1, ".0.op.weight"));
    if (down || last) {
      c->block_out_channels.push_back(static_cast<int>(width));
      c->down_cross_attention.push_back(attn);
      per_level.push_back(count);
      count = 0;
    }
  }
  if (per_level.empty()) {
    return absl::InvalidArgumentError(
        Cat("no UNet resnets under ", p, "input_blocks.*"));
  }
  c->layers_per_block = per_level[0];
  for (int n : per_level) {
    if (n != c->layers_per_block) {
      return absl::InvalidArgumentError(
          Cat("UNet levels have different resnet counts (",
              absl::StrJoin(per_level, ", "), "); not an SD 1.x/2.x UNet"));
    }
  }
  const int levels = static_cast<int>(c->block_out_channels.size());
  c->up_cross_attention.clear();
  for (int i = 0; i < levels; ++i) {
    c->up_cross_attention.push_back(
        Shape(m, Cat(p, "output_blocks.", i * (c->layers_per_block + 1),
                     ".1.proj_in.weight")) != nullptr);
  }
  const std::string mid = p + "middle_block.1.";
  const auto* proj = Shape(m, mid + "proj_in.weight");
  const auto* ctx = Shape(m, mid + "transformer_blocks.0.attn2.to_k.weight");
  if (!proj || !ctx || ctx->size() != 2) {
    return BadShape(mid + "transformer_blocks.0.attn2.to_k.weight", ctx,
                    "[C, context width] (a mid-block cross-attention)");
  }
  if (Shape(m, mid + "transformer_blocks.1.norm1.weight")) {
    return Unsupported("Multi-layer transformer (SDXL-style)",
                       mid + "transformer_blocks.1.*", m);
  }
  c->cross_attention_dim = static_cast<int>((*ctx)[1]);
  c->use_linear_projection = proj->size() == 2;
  c->norm_num_groups = 32;
  return absl::OkStatus();
}

absl::Status InferText(const ShapeMap& m, LdmArchitecture* a) {
  ClipTextConfig& c = a->text;
  const std::string p = a->text_prefix;
  const bool open_clip = a->family == LdmFamily::kSd2;
  const std::string tok =
      p + (open_clip ? "token_embedding.weight"
                     : "text_model.embeddings.token_embedding.weight");
  const std::string pos =
      p + (open_clip ? "positional_embedding"
                     : "text_model.embeddings.position_embedding.weight");
  const auto* ts = Shape(m, tok);
  if (!ts || ts->size() != 2) return BadShape(tok, ts, "[vocab, width]");
  const auto* ps = Shape(m, pos);
  if (!ps || ps->size() != 2) return BadShape(pos, ps, "[positions, width]");
  c.vocab_size = static_cast<int>((*ts)[0]);
  c.hidden_size = static_cast<int>((*ts)[1]);
  c.max_position_embeddings = static_cast<int>((*ps)[0]);
  const std::string layer =
      p + (open_clip ? "transformer.resblocks." : "text_model.encoder.layers.");
  const std::string fc = open_clip ? ".mlp.c_fc.weight" : ".mlp.fc1.weight";
  int n = 0;
  while (Shape(m, Cat(layer, n, fc))) ++n;
  if (n == 0 || (open_clip && n < 2)) {
    return BadShape(Cat(layer, 0, fc), nullptr, "text encoder layers");
  }
  const auto* fs = Shape(m, Cat(layer, 0, fc));
  c.intermediate_size = static_cast<int>((*fs)[0]);
  c.num_hidden_layers = open_clip ? n - 1 : n;  // OpenCLIP: penultimate
  return absl::OkStatus();
}

absl::Status InferVae(const ShapeMap& m, VaeConfig* c) {
  const std::string d = std::string(kVae) + "decoder.";
  const auto* in = Shape(m, d + "conv_in.weight");
  if (!in || in->size() != 4) {
    return BadShape(d + "conv_in.weight", in, "[C, latent, 3, 3]");
  }
  c->latent_channels = static_cast<int>((*in)[1]);
  c->block_out_channels.clear();
  for (int i = 0;; ++i) {
    const auto* s = Shape(m, Cat(d, "up.", i, ".block.0.conv2.weight"));
    if (!s) break;
    c->block_out_channels.push_back(static_cast<int>((*s)[0]));
  }
  if (c->block_out_channels.empty()) {
    return BadShape(d + "up.0.block.0.conv2.weight", nullptr, "VAE up blocks");
  }
  int blocks = 0;
  while (Shape(m, Cat(d, "up.0.block.", blocks, ".conv1.weight"))) {
    ++blocks;
  }
  c->layers_per_block = blocks - 1;
  const auto* out = Shape(m, d + "conv_out.weight");
  if (!out || out->size() != 4) {
    return BadShape(d + "conv_out.weight", out, "[3, C, 3, 3]");
  }
  c->out_channels = static_cast<int>((*out)[0]);
  c->mid_block_add_attention = Shape(m, d + "mid.attn_1.q.weight") != nullptr;
  c->norm_num_groups = 32;
  c->scaling_factor = 0.18215;
  return absl::OkStatus();
}

void ApplyFamily(LdmArchitecture* a) {
  const bool sd2 = a->family == LdmFamily::kSd2;
  a->text_prefix = std::string(sd2 ? (a->sgm ? kSgmText : kSd2Text) : kSd1Text);
  a->pad_id = sd2 ? 0 : 49407;
  a->text.hidden_act = sd2 ? "gelu" : "quick_gelu";
  a->text.num_attention_heads = std::max(1, a->text.hidden_size / 64);
  a->scheduler_json = a->sgm ? kTurboScheduler : kSd1Scheduler;
  a->unet.num_attention_heads.clear();
  for (int ch : a->unet.block_out_channels) {
    a->unet.num_attention_heads.push_back(sd2 ? std::max(1, ch / 64) : 8);
  }
}

}  // namespace

std::string LdmArchitecture::Describe() const {
  return Cat(family == LdmFamily::kSd1 ? "SD 1.x" : "SD 2.x",
             sgm ? " (SGM)" : "", ": text ",
             family == LdmFamily::kSd1 ? "CLIP " : "OpenCLIP ",
             text.hidden_size, " x ", text.num_hidden_layers, " layers, UNet [",
             absl::StrJoin(unet.block_out_channels, ", "), "] context ",
             unet.cross_attention_dim,
             unet.use_linear_projection ? " linear proj" : " conv proj",
             ", VAE [", absl::StrJoin(vae.block_out_channels, ", "), "]");
}

LdmArchitecture MakeLdmArchitecture(LdmFamily family, bool sgm,
                                    const ClipTextConfig& text,
                                    const UNetConfig& unet,
                                    const VaeConfig& vae) {
  LdmArchitecture a;
  a.family = family;
  a.sgm = sgm;
  a.text = text;
  a.unet = unet;
  a.vae = vae;
  ApplyFamily(&a);
  return a;
}

absl::StatusOr<LdmArchitecture> InferLdmArchitecture(const ShapeMap& m) {
  if (HasPrefix(m, "conditioner.embedders.1.")) {
    return Unsupported("SDXL",
                       "a second text encoder conditioner.embedders.1.*", m);
  }
  if (HasPrefix(m, std::string(kUNet) + "label_emb.")) {
    return Unsupported("SDXL-style (class-conditioned)",
                       "model.diffusion_model.label_emb.*", m);
  }
  if (HasPrefix(m, std::string(kUNet) + "joint_blocks.") ||
      HasPrefix(m, "text_encoders.")) {
    return Unsupported("SD3", "model.diffusion_model.joint_blocks.*", m);
  }
  if (HasPrefix(m, "double_blocks.") ||
      HasPrefix(m, std::string(kUNet) + "double_blocks.")) {
    return Unsupported("Flux", "double_blocks.*", m);
  }
  if (!HasPrefix(m, kUNet)) {
    if (HasPrefix(m, "down_blocks.") || HasPrefix(m, "decoder.up_blocks.") ||
        HasPrefix(m, "text_model.")) {
      return absl::InvalidArgumentError(Cat(
          "this is one network of a diffusers folder, not a full single-file "
          "checkpoint (no model.diffusion_model.*); load the folder instead. "
          "Tensors: ",
          Found(m)));
    }
    return Unsupported("This kind of", "no model.diffusion_model.* UNet", m);
  }
  LdmArchitecture a;
  if (HasPrefix(m, kSd1Text)) {
    a.family = LdmFamily::kSd1;
  } else if (HasPrefix(m, kSd2Text)) {
    a.family = LdmFamily::kSd2;
  } else if (HasPrefix(m, kSgmText)) {
    a.family = LdmFamily::kSd2;
    a.sgm = true;
  } else {
    return Unsupported(
        "Checkpoints without a text encoder",
        "no cond_stage_model.* or conditioner.embedders.0.model.*", m);
  }
  if (!HasPrefix(m, std::string(kVae) + "decoder.")) {
    return Unsupported("Checkpoints without a VAE",
                       "no first_stage_model.decoder.*", m);
  }
  ApplyFamily(&a);  // text_prefix
  EBB_RETURN_IF_ERROR(InferUNet(m, &a.unet));
  EBB_RETURN_IF_ERROR(InferText(m, &a));
  EBB_RETURN_IF_ERROR(InferVae(m, &a.vae));
  ApplyFamily(&a);  // heads from the inferred widths
  if (a.unet.cross_attention_dim != a.text.hidden_size) {
    return absl::InvalidArgumentError(
        Cat("the UNet's context width ", a.unet.cross_attention_dim,
            " differs from the text encoder's width ", a.text.hidden_size));
  }
  return a;
}

}  // namespace ebb::inference::diffusion
