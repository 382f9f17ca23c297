// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/pipeline/pipeline.h
//
// Text-to-image with a Stable Diffusion model (SD 1.x, SD 2.x, sd-turbo) in
// a diffusers folder or a single-file LDM/SGM .safetensors checkpoint
// (single_file/ldm_layout.h), as diffusers' StableDiffusionPipeline does it
// (huggingface/diffusers: pipelines/stable_diffusion/
// pipeline_stable_diffusion.py):
//   1. tokenize prompt (and negative prompt) to 77 ids, model pad id;
//   2. text encoder -> context [1, 77, D]; with guidance_scale > 1 the
//      negative prompt's ("" when none) is batched first: [2, 77, D];
//   3. latents = N(0, 1) of [1, 4, H/8, W/8] from libtorch's CPU generator
//      seeded with `seed` (the generator behind Python's
//      torch.randn(..., generator=torch.Generator().manual_seed(seed))),
//      times the scheduler's init_noise_sigma; ancestral/LCM noise is drawn
//      from the same generator, in step order;
//   4. per step: eps = UNet(latents * InputScale, t, context); with
//      guidance: eps = eps_u + g (eps_c - eps_u); scheduler Step;
//   5. decode (the VAE, or TAESD: PipelineOptions::vae_decoder), map
//      [-1, 1] to 8-bit RGB.
// Pixel-space folders (model_index.json without a "vae" entry and no vae/
// folder; unet in_channels = out_channels = 3, e.g. models/ebb-shapes) skip
// the decoder: the "latents" are the RGB image at full size, clamped to
// [-1, 1].
// The same request on the same build gives the same pixels.
//
// Folder: model_index.json; tokenizer/{vocab.json, merges.txt,
// special_tokens_map.json}; scheduler/scheduler_config.json;
// {text_encoder,unet,vae}/config.json with weights
// text_encoder/model[.fp16].safetensors and
// {unet,vae}/diffusion_pytorch_model[.fp16].safetensors (the full-precision
// file is preferred when both exist). .bin/.ckpt weights are refused with
// how to convert; other pipelines (SDXL, SD3, Flux) are "not supported yet".
// A single file brings its own tokenizer (CLIP's merges built into ebb) and
// scheduler (by family). TAESD: taesd/diffusion_pytorch_model.safetensors
// (+ config.json) inside the model folder or beside the model.
//
// Thread-safety: Load once; Generate from one thread at a time.
#ifndef EBB_INFERENCE_DIFFUSION_PIPELINE_PIPELINE_H_
#define EBB_INFERENCE_DIFFUSION_PIPELINE_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

struct PipelineRequest {
  std::string prompt;
  std::string negative_prompt;
  uint64_t seed = 0;
  int steps = 1;
  double guidance_scale = 1.0;
  int width = 512;        // multiple of 8
  int height = 512;       // multiple of 8
  std::string scheduler;  // "" = the folder's; else euler|euler_a|ddim|lcm
};

// How to load a model. Every field has a default that serves a CPU box.
struct PipelineOptions {
  // Decoder of latents: "" = the model's VAE, or TAESD when a `taesd/`
  // folder with diffusion_pytorch_model.safetensors is inside the model
  // folder or beside the model (file or folder); "vae" = the model's VAE
  // always; "taesd=DIR" = the TAESD decoder folder DIR (madebyollin/taesd's
  // diffusers files).
  std::string vae_decoder;
  // Compute dtype: "f32" (default) or "bf16" (CPUs with native bf16 only;
  // FailedPrecondition elsewhere).
  std::string dtype = "f32";
  // "cpu" (default), "cuda" (FailedPrecondition when this build's libtorch
  // has no CUDA or no GPU is visible), or "gpu": cuda when available, else
  // cpu with a warning; the device used is in PipelineResult::device.
  std::string device = "cpu";
  // libtorch intra-op threads; 0 = leave libtorch's setting.
  int threads = 0;
  // What the UNet predicts: "" = the model's (a folder's scheduler config;
  // for a single file, a sibling NAME.yaml with `parameterization: "v"`,
  // else epsilon), "epsilon" or "v_prediction" (SD 2.x 768-v models).
  std::string prediction_type;
};

struct PipelineTimings {
  double tokenize_ms = 0, text_encode_ms = 0, decode_ms = 0;
  std::vector<double> step_ms;
  double denoise_ms() const;
};

struct PipelineResult {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
  std::string scheduler;     // the one used
  int steps = 0;
  int prompt_tokens = 0;  // content tokens before truncation
  bool truncated = false;
  std::string device = "cpu";  // where it ran
  PipelineTimings timings;
};

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  // Loads and validates every file and tensor before any compute. `path` is
  // a diffusers folder or a single-file `.safetensors` checkpoint.
  static absl::StatusOr<std::unique_ptr<Pipeline>> Load(
      const std::string& path, const PipelineOptions& options = {});
  // Called after each denoising step with (step + 1, steps). Returning false
  // stops the generation: Generate then returns Cancelled.
  using Progress = std::function<bool(int done, int total)>;
  // InvalidArgument for a request the model cannot serve (size not a
  // multiple of 8 or outside 8..2048 or not a multiple of the model's
  // factor (64 for SD 1.x/2.x), steps, guidance < 0, unknown
  // scheduler), before any compute.
  virtual absl::StatusOr<PipelineResult> Generate(const PipelineRequest& r,
                                                  const Progress& progress) = 0;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_PIPELINE_PIPELINE_H_
