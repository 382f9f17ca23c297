// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/backend/diffusion_text_to_image.h
//
// DiffusionTextToImage: the TextToImage backend over the Stable Diffusion
// Pipeline (pipeline/pipeline.h). It maps a GenerateRequest to a
// PipelineRequest (scheduler included; on_step's kStop stops the pipeline
// between steps, and Generate returns Cancelled) and fills Image::info
// (scheduler, steps, prompt tokens, truncation, the time of each phase, the
// device, the size generated at).
//
// Native size and defaults: a model folder may declare, in its
// model_index.json's "ebb" key (config/model_extras.h), the size it was
// trained at and the steps and guidance scale a request that names none gets
// (defaults()):
//     "ebb": {"native_width": 256, "native_height": 256, "default_steps": 20}
// A request wider or taller than that is generated at exactly the native size
// and upscaled to the requested size with bilinear resampling (resize.h; the
// aspect ratio is the request's, so a non-square request of a square model is
// stretched); Image::info carries native_width/native_height. Requests within
// the native size, and every request of a model that declares none, are
// generated at the requested size.
//
// Errors: Create: NotFound when the path does not exist, InvalidArgument for
// a malformed "ebb" key. Load: the Pipeline's errors (missing file, wrong
// tensor, unsupported architecture, pickle). Generate: InvalidArgument for a
// request the model cannot serve (size, steps, guidance, scheduler), before
// any compute; Cancelled when on_step returned kStop; Internal otherwise.
//
// Thread-safety: Load once, then Generate from one thread at a time.
#ifndef EBB_INFERENCE_DIFFUSION_BACKEND_DIFFUSION_TEXT_TO_IMAGE_H_
#define EBB_INFERENCE_DIFFUSION_BACKEND_DIFFUSION_TEXT_TO_IMAGE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "inference/diffusion/config/model_extras.h"
#include "inference/diffusion/pipeline/pipeline.h"
#include "inference/text_to_image.h"

namespace ebb::inference::diffusion {

struct DiffusionOptions {
  std::string path;  // diffusers folder or single-file .safetensors
  // Passed to Pipeline::Load. `device` should already be resolved
  // (runtime.h ResolveDevice).
  PipelineOptions pipeline;
  // ModelName(): "" = the folder's (or file's stem) name, e.g. "sd-turbo".
  std::string name;
};

class DiffusionTextToImage : public TextToImage {
 public:
  // Checks the path and reads the "ebb" extras; loads no weights.
  static absl::StatusOr<std::unique_ptr<DiffusionTextToImage>> Create(
      DiffusionOptions options);

  absl::Status Load() override;
  absl::StatusOr<Image> Generate(const GenerateRequest& request) override;
  std::string ModelName() const override { return name_; }
  GenerationDefaults defaults() const override;

  const std::optional<NativeSize>& native_size() const {
    return extras_.native;
  }
  const ModelExtras& extras() const { return extras_; }

 private:
  DiffusionTextToImage(DiffusionOptions options, std::string name,
                       ModelExtras extras)
      : options_(std::move(options)),
        name_(std::move(name)),
        extras_(std::move(extras)) {}

  DiffusionOptions options_;
  std::string name_;
  ModelExtras extras_;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_BACKEND_DIFFUSION_TEXT_TO_IMAGE_H_
