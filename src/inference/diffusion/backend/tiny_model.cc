// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/tiny_model.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/random_weights.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTextEncoder = R"({"hidden_size": 32,
  "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
  "hidden_act": "gelu"})";
constexpr const char* kUNet = R"({"block_out_channels": [32, 64],
  "layers_per_block": 1,
  "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
  "attention_head_dim": [2, 4], "cross_attention_dim": 32,
  "norm_num_groups": 8, "use_linear_projection": true})";
constexpr const char* kVae = R"({"block_out_channels": [16, 32],
  "layers_per_block": 1, "norm_num_groups": 8, "latent_channels": 4})";
constexpr const char* kScheduler = R"({"_class_name": "EulerDiscreteScheduler",
  "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
  "timestep_spacing": "trailing", "steps_offset": 1,
  "set_alpha_to_one": false})";

absl::Status WriteText(const fs::path& p, const std::string& text) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p);
  out << text;
  out.close();
  if (!out)
    return absl::InternalError(absl::StrCat("cannot write ", p.string()));
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteTinyModel(const std::string& dir_text,
                            const TinyModelOptions& options) {
  const fs::path dir(dir_text);
  std::string index = R"({"_class_name": "StableDiffusionPipeline")";
  if (options.native_width || options.native_height) {
    absl::StrAppend(&index, R"(, "ebb": {"native_width": )",
                    options.native_width.value_or(0), R"(, "native_height": )",
                    options.native_height.value_or(0), "}");
  }
  EBB_RETURN_IF_ERROR(WriteText(dir / "model_index.json", index + "}"));
  EBB_ASSIGN_OR_RETURN(std::string merges, ReadFile(options.merges_path));
  EBB_RETURN_IF_ERROR(WriteText(dir / "tokenizer/merges.txt", merges));
  EBB_RETURN_IF_ERROR(WriteText(dir / "tokenizer/special_tokens_map.json",
                                R"({"pad_token": "!"})"));
  EBB_RETURN_IF_ERROR(
      WriteText(dir / "scheduler/scheduler_config.json", kScheduler));
  EBB_RETURN_IF_ERROR(
      WriteText(dir / "text_encoder/config.json", kTextEncoder));
  EBB_RETURN_IF_ERROR(WriteText(dir / "unet/config.json", kUNet));
  EBB_RETURN_IF_ERROR(WriteText(dir / "vae/config.json", kVae));
  EBB_ASSIGN_OR_RETURN(auto te, ParseClipTextConfig(kTextEncoder));
  EBB_ASSIGN_OR_RETURN(auto unet, ParseUNetConfig(kUNet));
  EBB_ASSIGN_OR_RETURN(auto vae, ParseVaeConfig(kVae));
  EBB_RETURN_IF_ERROR(WriteRandomWeights<ClipTextEncoder>(
      dir / "text_encoder/model.safetensors", te, {.seed = 1}));
  EBB_RETURN_IF_ERROR(WriteRandomWeights<UNet>(
      dir / "unet/diffusion_pytorch_model.safetensors", unet, {.seed = 2}));
  return WriteRandomWeights<VaeDecoder>(
      dir / "vae/diffusion_pytorch_model.safetensors", vae, {.seed = 3});
}

}  // namespace ebb::inference::diffusion
