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
#include "inference/diffusion/pipeline/device_options.h"
#include "inference/diffusion/pipeline/model_loader.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

class DiffusersPipeline : public Pipeline {
 public:
  DiffusersPipeline(LoadedModel m, at::Device device)
      : m_(std::move(m)), device_(device) {}

  absl::StatusOr<PipelineResult> Generate(const PipelineRequest& r,
                                          const Progress& progress) override {
    for (auto [name, v] : {std::pair{"width", r.width}, {"height", r.height}}) {
      // A latent model's own limit (8 x 2^(UNet levels-1), 64 for SD) is
      // checked below.
      if (v < 8 || v > 2048 || v % 8 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, " = ", v, " must be a multiple of 8 in 8..2048"));
      }
    }
    if (!(r.guidance_scale >= 0) || !std::isfinite(r.guidance_scale)) {
      return absl::InvalidArgumentError(
          "guidance_scale must be a finite number >= 0");
    }
    SchedulerKind kind = m_.default_kind;
    if (!r.scheduler.empty()) {
      EBB_ASSIGN_OR_RETURN(kind, ParseSchedulerKind(r.scheduler));
    }
    EBB_ASSIGN_OR_RETURN(auto scheduler,
                         Scheduler::Create(kind, m_.scheduler_config, r.steps));
    const int64_t scale = m_.decoder_scale();
    const int64_t unet_factor =
        int64_t{1} << (m_.unet->config().block_out_channels.size() - 1);
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
    TokenizedPrompt pos = m_.tokenizer->Tokenize(r.prompt);
    out.prompt_tokens = pos.content_tokens;
    out.truncated = pos.truncated;
    std::vector<int64_t> ids;
    if (cfg) {
      TokenizedPrompt neg = m_.tokenizer->Tokenize(r.negative_prompt);
      ids.insert(ids.end(), neg.ids.begin(), neg.ids.end());
    }
    ids.insert(ids.end(), pos.ids.begin(), pos.ids.end());
    at::Tensor id_tensor = at::tensor(ids, at::kLong)
                               .reshape({cfg ? 2 : 1, kClipMaxLength})
                               .to(device_);
    out.timings.tokenize_ms = MsSince(t0);

    t0 = std::chrono::steady_clock::now();
    EBB_ASSIGN_OR_RETURN(at::Tensor context,
                         m_.text_encoder->Forward(id_tensor));
    const at::ScalarType dtype = context.scalar_type();
    out.timings.text_encode_ms = MsSince(t0);

    auto gen = at::make_generator<at::CPUGeneratorImpl>(r.seed);
    out.device = device_.is_cuda() ? "cuda" : "cpu";
    at::Tensor latents = at::randn({1, m_.unet->config().in_channels,
                                    r.height / scale, r.width / scale},
                                   gen, at::kFloat) *
                         scheduler->init_noise_sigma();
    latents = latents.contiguous();
    for (int i = 0; i < r.steps; ++i) {
      t0 = std::chrono::steady_clock::now();
      at::Tensor in = (latents * scheduler->InputScale(i)).to(device_, dtype);
      if (cfg) in = at::cat({in, in}, 0);
      at::Tensor t = at::full({in.size(0)}, scheduler->timesteps()[i],
                              at::TensorOptions(at::kFloat).device(device_));
      EBB_ASSIGN_OR_RETURN(at::Tensor eps, m_.unet->Forward(in, t, context));
      if (cfg) {
        at::Tensor u = eps.narrow(0, 0, 1), c = eps.narrow(0, 1, 1);
        eps = u + (c - u) * r.guidance_scale;
      }
      eps = eps.to(at::kCPU, at::kFloat).contiguous();
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
    EBB_ASSIGN_OR_RETURN(at::Tensor image,
                         m_.Decode(latents.to(device_, dtype)));
    image = image.to(at::kCPU, at::kFloat);
    out.rgb = std::move(ToRgb8(image)[0]);
    out.width = static_cast<int>(image.size(3));
    out.height = static_cast<int>(image.size(2));
    out.timings.decode_ms = MsSince(t0);
    return out;
  }

 private:
  LoadedModel m_;
  at::Device device_;
};

}  // namespace

double PipelineTimings::denoise_ms() const {
  double total = 0;
  for (double ms : step_ms) total += ms;
  return total;
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Load(
    const std::string& path, const PipelineOptions& options) {
  EBB_ASSIGN_OR_RETURN(LoadSettings settings, ResolveOptions(options));
  LoadedModel m;
  if (fs::is_directory(path)) {
    EBB_RETURN_IF_ERROR(LoadDiffusersFolder(path, settings, &m));
  } else if (fs::exists(path)) {
    EBB_RETURN_IF_ERROR(CheckWeightFileFormat(path));
    EBB_RETURN_IF_ERROR(LoadSingleFile(path, settings, &m));
  } else {
    return absl::NotFoundError(absl::StrCat(
        "model ", path,
        " does not exist (a diffusers folder or a .safetensors file)"));
  }
  return std::make_unique<DiffusersPipeline>(std::move(m), settings.device);
}

}  // namespace ebb::inference::diffusion
