// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/pipeline/model_loader.h (private to pipeline/)
//
// Loading a model's parts for the pipeline, by concept:
//   LoadDiffusersFolder  a diffusers StableDiffusionPipeline folder
//   LoadSingleFile       a single-file LDM/SGM checkpoint (single_file/), with
//                        the built-in CLIP merges, the family's pad id and
//                        scheduler; the prediction type from
//                        LoadSettings::prediction_type, else a sibling
//                        NAME.yaml (A1111/ComfyUI convention) whose
//                        `parameterization: "v"` line means v_prediction,
//                        else epsilon
//   LoadLatentDecoder    the VAE, or TAESD (vae_decoder option)
// Weights are converted to LoadSettings' dtype and device as they load.
// Errors: as the parts' (file, config, tensor); they name the path.
// Thread-safety: call from one thread; the result is immutable.
#ifndef EBB_INFERENCE_DIFFUSION_PIPELINE_MODEL_LOADER_H_
#define EBB_INFERENCE_DIFFUSION_PIPELINE_MODEL_LOADER_H_

#include <ATen/core/TensorBody.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/taesd.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"
#include "inference/diffusion/scheduler/scheduler.h"
#include "inference/diffusion/single_file/ldm_checkpoint.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"

namespace ebb::inference::diffusion {

struct LoadSettings {
  at::ScalarType dtype = at::kFloat;
  at::Device device = at::kCPU;
  std::string prediction_type;  // "" = the model's; epsilon | v_prediction
  std::string vae_decoder;      // PipelineOptions::vae_decoder
};

struct LoadedModel {
  std::unique_ptr<ClipTokenizer> tokenizer;
  SchedulerConfig scheduler_config;
  SchedulerKind default_kind = SchedulerKind::kEuler;
  std::vector<std::unique_ptr<WeightStore>> stores;
  std::unique_ptr<LdmCheckpoint> checkpoint;
  std::optional<ClipTextEncoder> text_encoder;
  std::optional<UNet> unet;
  // At most one of vae and taesd is set; neither for a pixel-space folder
  // (decoder_name "none": the UNet denoises RGB in [-1, 1]).
  std::optional<VaeDecoder> vae;
  std::optional<TaesdDecoder> taesd;
  std::string decoder_name;  // "vae", "taesd" or "none"
  // Pixels per latent cell (8 for SD).
  int64_t decoder_scale() const;
  // latents -> [B, 3, H, W] in about [-1, 1].
  absl::StatusOr<at::Tensor> Decode(const at::Tensor& latents) const;
};

absl::Status LoadDiffusersFolder(const std::filesystem::path& dir,
                                 const LoadSettings& s, LoadedModel* m);
absl::Status LoadSingleFile(const std::filesystem::path& file,
                            const LoadSettings& s, LoadedModel* m);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_PIPELINE_MODEL_LOADER_H_
