// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/diffusion_text_to_image.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"
#include "inference/diffusion/backend/resize.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;

}  // namespace

absl::StatusOr<std::unique_ptr<DiffusionTextToImage>>
DiffusionTextToImage::Create(DiffusionOptions options) {
  std::error_code ec;
  if (!fs::exists(options.path, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "model ", options.path,
        " does not exist (want a diffusers folder with model_index.json, or "
        "a single-file .safetensors checkpoint)"));
  }
  EBB_ASSIGN_OR_RETURN(ModelExtras extras, ReadModelExtras(options.path));
  std::string name = options.name;
  if (name.empty()) {
    fs::path p = fs::path(options.path).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();  // "dir/"
    name = fs::is_directory(p) ? p.filename().string() : p.stem().string();
  }
  return std::unique_ptr<DiffusionTextToImage>(new DiffusionTextToImage(
      std::move(options), std::move(name), std::move(extras)));
}

GenerationDefaults DiffusionTextToImage::defaults() const {
  GenerationDefaults d;
  if (extras_.default_steps) d.steps = *extras_.default_steps;
  if (extras_.default_guidance_scale) {
    d.guidance_scale = *extras_.default_guidance_scale;
  }
  return d;
}

absl::Status DiffusionTextToImage::Load() {
  EBB_ASSIGN_OR_RETURN(pipeline_,
                       Pipeline::Load(options_.path, options_.pipeline));
  return absl::OkStatus();
}

absl::StatusOr<Image> DiffusionTextToImage::Generate(
    const GenerateRequest& request) {
  if (pipeline_ == nullptr) {
    return absl::FailedPreconditionError("Generate before Load");
  }
  PipelineRequest r;
  r.prompt = request.prompt;
  r.negative_prompt = request.negative_prompt;
  r.seed = request.seed;
  r.steps = request.steps;
  r.guidance_scale = request.guidance_scale;
  r.width = request.width;
  r.height = request.height;
  r.scheduler = request.scheduler;
  const bool upscale =
      extras_.native.has_value() && (request.width > extras_.native->width ||
                                     request.height > extras_.native->height);
  if (upscale) {
    // The delivered size is checked here: the pipeline sees the native one.
    for (auto [name, v] : {std::pair{"width", request.width},
                           std::pair{"height", request.height}}) {
      if (v < 64 || v > 2048 || v % 8 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, " = ", v, " must be a multiple of 8 in 64..2048"));
      }
    }
    r.width = extras_.native->width;
    r.height = extras_.native->height;
  }
  Pipeline::Progress progress;
  if (request.on_step) {
    progress = [&request](int done, int total) {
      return request.on_step(StepProgress{done, total}) ==
             StepAction::kContinue;
    };
  }
  EBB_ASSIGN_OR_RETURN(PipelineResult out, pipeline_->Generate(r, progress));
  Image image;
  image.width = request.width;
  image.height = request.height;
  if (out.width == request.width && out.height == request.height) {
    image.pixels = std::move(out.rgb);
  } else {
    image.pixels = ResizeBilinear(out.rgb, out.width, out.height, request.width,
                                  request.height);
    if (image.pixels.empty()) {
      return absl::InternalError(
          absl::StrCat("cannot resize the ", out.width, "x", out.height,
                       " image to ", request.width, "x", request.height));
    }
  }
  GenerationInfo& info = image.info;
  info.scheduler = out.scheduler;
  info.steps = out.steps;
  info.prompt_tokens = out.prompt_tokens;
  info.truncated = out.truncated;
  info.tokenize_ms = out.timings.tokenize_ms;
  info.text_encode_ms = out.timings.text_encode_ms;
  info.step_ms = out.timings.step_ms;
  info.denoise_ms = out.timings.denoise_ms();
  info.decode_ms = out.timings.decode_ms;
  info.device = out.device;
  if (out.width != request.width || out.height != request.height) {
    info.native_width = out.width;
    info.native_height = out.height;
  }
  return image;
}

}  // namespace ebb::inference::diffusion
