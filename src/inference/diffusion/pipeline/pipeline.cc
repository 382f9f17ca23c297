// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/pipeline/pipeline.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"
#include "inference/diffusion/format/weight_format.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"
#include "inference/diffusion/scheduler/scheduler.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

// SUB/BASE.safetensors, else SUB/BASE.fp16.safetensors; a pickle variant
// alone is refused with how to convert.
absl::StatusOr<std::string> PickWeights(const fs::path& dir, const char* sub,
                                        const char* base) {
  for (const char* suffix : {".safetensors", ".fp16.safetensors"}) {
    fs::path p = dir / sub / (std::string(base) + suffix);
    if (fs::exists(p)) return p.string();
  }
  for (const char* suffix : {".bin", ".fp16.bin", ".ckpt", ".pt"}) {
    fs::path p = dir / sub / (std::string(base) + suffix);
    if (fs::exists(p)) {
      EBB_RETURN_IF_ERROR(CheckWeightFileFormat(p.string()));
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no ", sub, "/", base,
                   ".safetensors (or .fp16.safetensors) in ", dir.string()));
}

// Smallest width/height; a latent model's own limit (8 x 2^(UNet levels-1),
// 64 for SD) is checked per model.
constexpr int kMinSize = 8;

// A folder without a VAE denoises RGB pixels directly.
absl::Status CheckPixelSpace(const UNetConfig& unet) {
  if (unet.in_channels != 3 || unet.out_channels != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model_index.json has no vae, so the unet must work on RGB pixels "
        "(in_channels = out_channels = 3), not ",
        unet.in_channels, " -> ", unet.out_channels, " channels"));
  }
  return absl::OkStatus();
}

class DiffusersPipeline : public Pipeline {
 public:
  absl::Status LoadFolder(const fs::path& dir) {
    EBB_ASSIGN_OR_RETURN(std::string index,
                         ReadFile((dir / "model_index.json").string()));
    std::string cls;
    try {
      auto j = nlohmann::json::parse(index);
      cls = j.value("_class_name", "");
      // No "vae" entry (or [null, null]) and no vae/ folder: the UNet
      // works on pixels.
      pixel_space_ = (!j.contains("vae") || j["vae"].is_null() ||
                      (j["vae"].is_array() && !j["vae"].empty() &&
                       j["vae"][0].is_null())) &&
                     !fs::exists(dir / "vae/config.json");
    } catch (const nlohmann::json::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          dir.string(), "/model_index.json is not valid JSON: ", e.what()));
    }
    if (cls != "StableDiffusionPipeline") {
      return absl::UnimplementedError(absl::StrCat(
          "pipeline \"", cls, "\" in ", dir.string(),
          " is not supported yet (ebb runs StableDiffusionPipeline folders: "
          "SD 1.x, SD 2.x, sd-turbo)"));
    }
    EBB_ASSIGN_OR_RETURN(tokenizer_,
                         ClipTokenizer::FromDiffusersFolder(dir.string()));
    EBB_ASSIGN_OR_RETURN(
        std::string sched,
        ReadFile((dir / "scheduler/scheduler_config.json").string()));
    EBB_ASSIGN_OR_RETURN(sched_config_, ParseSchedulerConfig(sched));
    EBB_ASSIGN_OR_RETURN(default_kind_,
                         ParseSchedulerKind(sched_config_.class_name));

    EBB_ASSIGN_OR_RETURN(std::string te_json,
                         ReadFile((dir / "text_encoder/config.json").string()));
    EBB_ASSIGN_OR_RETURN(auto te_config, ParseClipTextConfig(te_json));
    EBB_ASSIGN_OR_RETURN(std::string unet_json,
                         ReadFile((dir / "unet/config.json").string()));
    EBB_ASSIGN_OR_RETURN(auto unet_config, ParseUNetConfig(unet_json));
    if (unet_config.cross_attention_dim != te_config.hidden_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unet cross_attention_dim ", unet_config.cross_attention_dim,
          " does not match the text encoder's hidden_size ",
          te_config.hidden_size));
    }
    EBB_ASSIGN_OR_RETURN(auto te_path,
                         PickWeights(dir, "text_encoder", "model"));
    EBB_ASSIGN_OR_RETURN(auto unet_path,
                         PickWeights(dir, "unet", "diffusion_pytorch_model"));
    EBB_ASSIGN_OR_RETURN(te_weights_, WeightStore::Open({te_path}));
    EBB_ASSIGN_OR_RETURN(unet_weights_, WeightStore::Open({unet_path}));
    EBB_ASSIGN_OR_RETURN(text_encoder_,
                         ClipTextEncoder::Load(*te_weights_, te_config));
    EBB_ASSIGN_OR_RETURN(unet_, UNet::Load(*unet_weights_, unet_config));
    if (pixel_space_) return CheckPixelSpace(unet_config);
    EBB_ASSIGN_OR_RETURN(std::string vae_json,
                         ReadFile((dir / "vae/config.json").string()));
    EBB_ASSIGN_OR_RETURN(auto vae_config, ParseVaeConfig(vae_json));
    if (vae_config.latent_channels != unet_config.in_channels) {
      return absl::InvalidArgumentError(
          "vae latent_channels differs from unet in_channels");
    }
    EBB_ASSIGN_OR_RETURN(auto vae_path,
                         PickWeights(dir, "vae", "diffusion_pytorch_model"));
    EBB_ASSIGN_OR_RETURN(vae_weights_, WeightStore::Open({vae_path}));
    EBB_ASSIGN_OR_RETURN(vae_, VaeDecoder::Load(*vae_weights_, vae_config));
    return absl::OkStatus();
  }

  absl::StatusOr<PipelineResult> Generate(const PipelineRequest& r,
                                          const Progress& progress) override {
    for (auto [name, v] : {std::pair{"width", r.width}, {"height", r.height}}) {
      if (v < kMinSize || v > 2048 || v % 8 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " = ", v, " must be a multiple of 8 in ",
                         kMinSize, "..2048"));
      }
    }
    if (!(r.guidance_scale >= 0) || !std::isfinite(r.guidance_scale)) {
      return absl::InvalidArgumentError(
          "guidance_scale must be a finite number >= 0");
    }
    SchedulerKind kind = default_kind_;
    if (!r.scheduler.empty()) {
      EBB_ASSIGN_OR_RETURN(kind, ParseSchedulerKind(r.scheduler));
    }
    EBB_ASSIGN_OR_RETURN(auto scheduler,
                         Scheduler::Create(kind, sched_config_, r.steps));
    const int64_t scale =
        pixel_space_
            ? 1
            : int64_t{1} << (vae_->config().block_out_channels.size() - 1);
    const int64_t unet_factor =
        int64_t{1} << (unet_->config().block_out_channels.size() - 1);
    if ((r.width / scale) % unet_factor != 0 ||
        (r.height / scale) % unet_factor != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("width and height must be multiples of ",
                       scale * unet_factor, " for this model"));
    }

    c10::InferenceMode guard;
    PipelineResult out;
    out.scheduler = SchedulerKindName(kind);
    out.steps = r.steps;
    auto t0 = std::chrono::steady_clock::now();
    const bool cfg = r.guidance_scale > 1.0;
    TokenizedPrompt pos = tokenizer_->Tokenize(r.prompt);
    out.prompt_tokens = pos.content_tokens;
    out.truncated = pos.truncated;
    std::vector<int64_t> ids;
    if (cfg) {
      TokenizedPrompt neg = tokenizer_->Tokenize(r.negative_prompt);
      ids.insert(ids.end(), neg.ids.begin(), neg.ids.end());
    }
    ids.insert(ids.end(), pos.ids.begin(), pos.ids.end());
    at::Tensor id_tensor =
        at::tensor(ids, at::kLong).reshape({cfg ? 2 : 1, kClipMaxLength});
    out.timings.tokenize_ms = MsSince(t0);

    t0 = std::chrono::steady_clock::now();
    EBB_ASSIGN_OR_RETURN(at::Tensor context, text_encoder_->Forward(id_tensor));
    out.timings.text_encode_ms = MsSince(t0);

    auto gen = at::make_generator<at::CPUGeneratorImpl>(r.seed);
    at::Tensor latents = at::randn({1, unet_->config().in_channels,
                                    r.height / scale, r.width / scale},
                                   gen, at::kFloat) *
                         scheduler->init_noise_sigma();
    latents = latents.contiguous();
    for (int i = 0; i < r.steps; ++i) {
      t0 = std::chrono::steady_clock::now();
      at::Tensor in = latents * scheduler->InputScale(i);
      if (cfg) in = at::cat({in, in}, 0);
      at::Tensor t =
          at::full({in.size(0)}, scheduler->timesteps()[i], at::kFloat);
      EBB_ASSIGN_OR_RETURN(at::Tensor eps, unet_->Forward(in, t, context));
      if (cfg) {
        at::Tensor u = eps.narrow(0, 0, 1), c = eps.narrow(0, 1, 1);
        eps = u + (c - u) * r.guidance_scale;
      }
      eps = eps.contiguous();
      at::Tensor noise;
      if (scheduler->NeedsNoise(i))
        noise = at::randn(latents.sizes(), gen, at::kFloat);
      const size_t n = static_cast<size_t>(latents.numel());
      EBB_RETURN_IF_ERROR(scheduler->Step(
          i, {eps.data_ptr<float>(), n}, {latents.data_ptr<float>(), n},
          noise.defined() ? std::span<const float>(noise.data_ptr<float>(), n)
                          : std::span<const float>()));
      out.timings.step_ms.push_back(MsSince(t0));
      if (progress && !progress(i + 1, r.steps)) {
        return absl::CancelledError(
            absl::StrCat("stopped after step ", i + 1, " of ", r.steps));
      }
    }
    t0 = std::chrono::steady_clock::now();
    at::Tensor image;
    if (pixel_space_) {
      image = latents.clamp(-1.0, 1.0);
    } else {
      EBB_ASSIGN_OR_RETURN(image, vae_->Decode(latents));
    }
    out.rgb = std::move(ToRgb8(image)[0]);
    out.width = static_cast<int>(image.size(3));
    out.height = static_cast<int>(image.size(2));
    out.timings.decode_ms = MsSince(t0);
    return out;
  }

 private:
  std::unique_ptr<ClipTokenizer> tokenizer_;
  SchedulerConfig sched_config_;
  SchedulerKind default_kind_ = SchedulerKind::kEuler;
  std::unique_ptr<WeightStore> te_weights_, unet_weights_, vae_weights_;
  std::optional<ClipTextEncoder> text_encoder_;
  std::optional<UNet> unet_;
  std::optional<VaeDecoder> vae_;
  bool pixel_space_ = false;  // no VAE: the UNet denoises RGB in [-1, 1]
};

}  // namespace

double PipelineTimings::denoise_ms() const {
  double total = 0;
  for (double ms : step_ms) total += ms;
  return total;
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Load(
    const std::string& dir, const PipelineOptions& options) {
  (void)options;  // TODO(issue 8): vae_decoder, dtype, device, threads
  if (!fs::is_directory(dir)) {
    if (fs::exists(dir)) {
      EBB_RETURN_IF_ERROR(CheckWeightFileFormat(dir));
      return absl::UnimplementedError(
          absl::StrCat(dir,
                       ": single-file checkpoints are not supported yet; use a "
                       "diffusers folder"));
    }
    return absl::NotFoundError(
        absl::StrCat("model folder ", dir, " does not exist"));
  }
  auto p = std::make_unique<DiffusersPipeline>();
  EBB_RETURN_IF_ERROR(p->LoadFolder(dir));
  return p;
}

}  // namespace ebb::inference::diffusion
