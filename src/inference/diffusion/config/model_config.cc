// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/config/model_config.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ParseObject(const std::string& text, const char* what) {
  try {
    Json j = Json::parse(text);
    if (!j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " config.json is not a JSON object"));
    }
    return j;
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " config.json is not valid JSON: ", e.what()));
  }
}

absl::Status Unsupported(const char* what, const std::string& key,
                         const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      what, " config.json: ", key, " = ", value, " is not supported", why));
}

// A positive int no larger than `max`.
absl::Status CheckRange(const char* what, const char* key, int v, int max) {
  if (v < 1 || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " config.json: ", key, " = ", v, " is out of range 1..", max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClipTextConfig> ParseClipTextConfig(const std::string& text) {
  auto j = ParseObject(text, "text_encoder");
  if (!j.ok()) return j.status();
  ClipTextConfig c;
  try {
    c.vocab_size = j->value("vocab_size", c.vocab_size);
    c.hidden_size = j->value("hidden_size", c.hidden_size);
    c.intermediate_size = j->value("intermediate_size", c.intermediate_size);
    c.num_hidden_layers = j->value("num_hidden_layers", c.num_hidden_layers);
    c.num_attention_heads =
        j->value("num_attention_heads", c.num_attention_heads);
    c.max_position_embeddings =
        j->value("max_position_embeddings", c.max_position_embeddings);
    c.hidden_act = j->value("hidden_act", c.hidden_act);
    c.layer_norm_eps = j->value("layer_norm_eps", c.layer_norm_eps);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text_encoder config.json: a field has the wrong type: ", e.what()));
  }
  if (c.hidden_act != "quick_gelu" && c.hidden_act != "gelu") {
    return Unsupported("text_encoder", "hidden_act", c.hidden_act,
                       " (quick_gelu or gelu)");
  }
  for (auto [key, v, max] :
       {std::tuple{"vocab_size", c.vocab_size, 1 << 20},
        std::tuple{"hidden_size", c.hidden_size, 16384},
        std::tuple{"intermediate_size", c.intermediate_size, 65536},
        std::tuple{"num_hidden_layers", c.num_hidden_layers, 128},
        std::tuple{"num_attention_heads", c.num_attention_heads, 256},
        std::tuple{"max_position_embeddings", c.max_position_embeddings,
                   4096}}) {
    auto s = CheckRange("text_encoder", key, v, max);
    if (!s.ok()) return s;
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text_encoder config.json: hidden_size ", c.hidden_size,
        " is not a multiple of num_attention_heads ", c.num_attention_heads));
  }
  return c;
}

absl::StatusOr<UNetConfig> ParseUNetConfig(const std::string& text) {
  const char* what = "unet";
  auto jr = ParseObject(text, what);
  if (!jr.ok()) return jr.status();
  const Json& j = *jr;
  UNetConfig c;
  try {
    for (const char* key : {"addition_embed_type", "class_embed_type",
                            "encoder_hid_dim_type", "time_cond_proj_dim"}) {
      if (j.contains(key) && !j[key].is_null()) {
        std::string why = std::string(key) == "addition_embed_type"
                              ? " (SDXL is not supported yet)"
                              : " (SD 1.x/2.x UNets only)";
        return Unsupported(what, key, j[key].dump(), why);
      }
    }
    c.in_channels = j.value("in_channels", c.in_channels);
    c.out_channels = j.value("out_channels", c.out_channels);
    if (j.contains("sample_size") && j["sample_size"].is_number_integer()) {
      c.sample_size = j["sample_size"].get<int>();
    }
    c.block_out_channels = j.value("block_out_channels", c.block_out_channels);
    c.layers_per_block = j.value("layers_per_block", c.layers_per_block);
    c.cross_attention_dim =
        j.value("cross_attention_dim", c.cross_attention_dim);
    c.use_linear_projection =
        j.value("use_linear_projection", c.use_linear_projection);
    c.norm_num_groups = j.value("norm_num_groups", c.norm_num_groups);
    c.norm_eps = j.value("norm_eps", c.norm_eps);
    c.flip_sin_to_cos = j.value("flip_sin_to_cos", c.flip_sin_to_cos);
    c.freq_shift = j.value("freq_shift", c.freq_shift);
    std::string act = j.value("act_fn", "silu");
    if (act != "silu") return Unsupported(what, "act_fn", act, " (silu)");
    std::string mid = j.value("mid_block_type", "UNetMidBlock2DCrossAttn");
    if (mid != "UNetMidBlock2DCrossAttn") {
      return Unsupported(what, "mid_block_type", mid,
                         " (UNetMidBlock2DCrossAttn)");
    }
    if (j.contains("transformer_layers_per_block") &&
        j["transformer_layers_per_block"] != 1) {
      return Unsupported(what, "transformer_layers_per_block",
                         j["transformer_layers_per_block"].dump(),
                         " (1; SDXL is not supported yet)");
    }
    // upcast_attention (SD 2.x-768) only matters in fp16: ignored.
    for (const char* key : {"only_cross_attention", "dual_cross_attention"}) {
      if (j.contains(key) && j[key].is_boolean() && j[key].get<bool>()) {
        return Unsupported(what, key, "true", " (false)");
      }
    }
    const size_t n = c.block_out_channels.size();
    auto types = [&](const char* key, const char* cross, const char* plain,
                     std::vector<bool>* out) -> absl::Status {
      if (!j.contains(key)) {
        if (out->size() != n) {
          return absl::InvalidArgumentError(
              absl::StrCat("unet config.json: ", key,
                           " is required when "
                           "block_out_channels has ",
                           n, " entries"));
        }
        return absl::OkStatus();
      }
      out->clear();
      for (const auto& t : j[key]) {
        std::string s = t.get<std::string>();
        if (s != cross && s != plain) {
          return Unsupported(what, key, s,
                             absl::StrCat(" (", cross, " or ", plain, ")"));
        }
        out->push_back(s == cross);
      }
      return absl::OkStatus();
    };
    auto s = types("down_block_types", "CrossAttnDownBlock2D", "DownBlock2D",
                   &c.down_cross_attention);
    if (!s.ok()) return s;
    s = types("up_block_types", "CrossAttnUpBlock2D", "UpBlock2D",
              &c.up_cross_attention);
    if (!s.ok()) return s;
    if (c.down_cross_attention.size() != n ||
        c.up_cross_attention.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unet config.json: down_block_types and up_block_types must each "
          "have one entry per block_out_channels (",
          n, ")"));
    }
    // num_attention_heads wins; else attention_head_dim (the head count).
    const char* heads_key =
        j.contains("num_attention_heads") && !j["num_attention_heads"].is_null()
            ? "num_attention_heads"
            : "attention_head_dim";
    c.num_attention_heads.assign(n, 8);
    if (j.contains(heads_key) && j[heads_key].is_number_integer()) {
      c.num_attention_heads.assign(n, j[heads_key].get<int>());
    } else if (j.contains(heads_key) && j[heads_key].is_array()) {
      c.num_attention_heads = j[heads_key].get<std::vector<int>>();
      if (c.num_attention_heads.size() != n) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unet config.json: ", heads_key, " has ",
            c.num_attention_heads.size(), " entries, expected ", n));
      }
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unet config.json: a field has the wrong type: ", e.what()));
  }
  if (c.block_out_channels.empty()) {
    return absl::InvalidArgumentError(
        "unet config.json: block_out_channels is empty");
  }
  for (size_t i = 0; i < c.block_out_channels.size(); ++i) {
    int ch = c.block_out_channels[i];
    if (ch < 1 || ch % c.norm_num_groups != 0 || c.num_attention_heads[i] < 1 ||
        ch % c.num_attention_heads[i] != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unet config.json: block_out_channels[", i, "] = ", ch,
                       " must be a positive multiple of norm_num_groups (",
                       c.norm_num_groups, ") and of its head count (",
                       c.num_attention_heads[i], ")"));
    }
  }
  auto s = CheckRange(what, "layers_per_block", c.layers_per_block, 16);
  if (!s.ok()) return s;
  s = CheckRange(what, "cross_attention_dim", c.cross_attention_dim, 16384);
  if (!s.ok()) return s;
  return c;
}

absl::StatusOr<VaeConfig> ParseVaeConfig(const std::string& text) {
  const char* what = "vae";
  auto jr = ParseObject(text, what);
  if (!jr.ok()) return jr.status();
  const Json& j = *jr;
  VaeConfig c;
  try {
    c.in_channels = j.value("in_channels", c.in_channels);
    c.out_channels = j.value("out_channels", c.out_channels);
    c.latent_channels = j.value("latent_channels", c.latent_channels);
    c.block_out_channels = j.value("block_out_channels", c.block_out_channels);
    c.layers_per_block = j.value("layers_per_block", c.layers_per_block);
    c.norm_num_groups = j.value("norm_num_groups", c.norm_num_groups);
    c.scaling_factor = j.value("scaling_factor", c.scaling_factor);
    if (j.contains("sample_size") && j["sample_size"].is_number_integer()) {
      c.sample_size = j["sample_size"].get<int>();
    }
    c.mid_block_add_attention =
        j.value("mid_block_add_attention", c.mid_block_add_attention);
    std::string act = j.value("act_fn", "silu");
    if (act != "silu") return Unsupported(what, "act_fn", act, " (silu)");
    if (j.contains("up_block_types")) {
      for (const auto& t : j["up_block_types"]) {
        if (t.get<std::string>() != "UpDecoderBlock2D") {
          return Unsupported(what, "up_block_types", t.get<std::string>(),
                             " (UpDecoderBlock2D)");
        }
      }
      if (j["up_block_types"].size() != c.block_out_channels.size()) {
        return absl::InvalidArgumentError(
            "vae config.json: up_block_types must have one entry per "
            "block_out_channels");
      }
    }
    if (j.contains("shift_factor") && !j["shift_factor"].is_null()) {
      return Unsupported(what, "shift_factor", j["shift_factor"].dump(),
                         " (SD 1.x/2.x VAEs have none)");
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vae config.json: a field has the wrong type: ", e.what()));
  }
  if (c.block_out_channels.empty()) {
    return absl::InvalidArgumentError(
        "vae config.json: block_out_channels is empty");
  }
  for (int ch : c.block_out_channels) {
    if (ch < 1 || ch % c.norm_num_groups != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("vae config.json: block_out_channels entry ", ch,
                       " must be a positive multiple of norm_num_groups (",
                       c.norm_num_groups, ")"));
    }
  }
  if (!(c.scaling_factor > 0)) {
    return absl::InvalidArgumentError(
        "vae config.json: scaling_factor must be > 0");
  }
  return c;
}

}  // namespace ebb::inference::diffusion
