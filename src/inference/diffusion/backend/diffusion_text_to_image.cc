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

absl::Status BadNative(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, "/model_index.json: \"ebb\": ", why,
                   " (want {\"native_width\": W, \"native_height\": H}, "
                   "multiples of 8 in 64..2048)"));
}

}  // namespace

absl::StatusOr<std::optional<NativeSize>> ReadNativeSize(
    const std::string& path) {
  const fs::path index = fs::path(path) / "model_index.json";
  if (!fs::is_directory(path) || !fs::exists(index)) {
    return std::optional<NativeSize>();
  }
  EBB_ASSIGN_OR_RETURN(std::string text, ReadFile(index.string()));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("ebb")) return std::optional<NativeSize>();
  const nlohmann::json& e = j["ebb"];
  if (!e.is_object()) return BadNative(path, "not an object");
  if (!e.contains("native_width") && !e.contains("native_height")) {
    return std::optional<NativeSize>();
  }
  NativeSize n;
  for (auto [key, out] : {std::pair{"native_width", &n.width},
                          std::pair{"native_height", &n.height}}) {
    if (!e.contains(key) || !e[key].is_number_integer()) {
      return BadNative(path, absl::StrCat(key, " missing or not an integer"));
    }
    *out = e[key].get<int>();
    if (*out < 64 || *out > 2048 || *out % 8 != 0) {
      return BadNative(path, absl::StrCat(key, " = ", *out));
    }
  }
  return std::optional<NativeSize>(n);
}

absl::StatusOr<std::unique_ptr<DiffusionTextToImage>>
DiffusionTextToImage::Create(DiffusionOptions options) {
  std::error_code ec;
  if (!fs::exists(options.path, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "model ", options.path,
        " does not exist (want a diffusers folder with model_index.json, or "
        "a single-file .safetensors checkpoint)"));
  }
  EBB_ASSIGN_OR_RETURN(std::optional<NativeSize> native,
                       ReadNativeSize(options.path));
  std::string name = options.name;
  if (name.empty()) {
    fs::path p = fs::path(options.path).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();  // "dir/"
    name = fs::is_directory(p) ? p.filename().string() : p.stem().string();
  }
  return std::unique_ptr<DiffusionTextToImage>(
      new DiffusionTextToImage(std::move(options), std::move(name), native));
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
      native_.has_value() &&
      (request.width > native_->width || request.height > native_->height);
  if (upscale) {
    // The delivered size is checked here: the pipeline sees the native one.
    for (auto [name, v] : {std::pair{"width", request.width},
                           std::pair{"height", request.height}}) {
      if (v < 64 || v > 2048 || v % 8 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, " = ", v, " must be a multiple of 8 in 64..2048"));
      }
    }
    r.width = native_->width;
    r.height = native_->height;
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
