// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/single_file/ldm_layout.h
//
// Single-file Stable Diffusion checkpoints in the original LDM/SGM naming
// (CompVis/stability-ai: one .safetensors holding UNet, text encoder and VAE),
// without libtorch:
//
//   model.diffusion_model.*                       UNet (input_blocks, ...)
//   cond_stage_model.transformer.text_model.*     SD 1.x: OpenAI CLIP, HF names
//   cond_stage_model.model.*                      SD 2.x: OpenCLIP
//   conditioner.embedders.0.model.*               SGM files (sd-turbo):
//   OpenCLIP first_stage_model.*                           VAE (encoder,
//   decoder)
//
// InferLdmArchitecture reads the networks' configs off tensor names and
// shapes (what the weights cannot tell is fixed by the family):
//   SD 1.x: CLIP text encoder, all layers, quick_gelu, pad id 49407; UNet
//           8 heads in every block; SD 1.5's scheduler (PNDM run as Euler,
//           scaled_linear 0.00085..0.012, steps_offset 1).
//   SD 2.x: OpenCLIP text encoder run "penultimate" (the last resblock is not
//           used, as diffusers' conversion drops it), gelu, pad id 0; UNet
//           heads = channels / 64; SD 2.1-base's scheduler; an SGM file
//           (conditioner.embedders.0.*: sd-turbo) gets sd-turbo's scheduler
//           (Euler, trailing spacing).
//   Both:   GroupNorm 32 groups, VAE scaling factor 0.18215, text head width
//           64. v-prediction (SD 2.x 768-v) cannot be told from weights: the
//           prediction type is epsilon unless the caller says otherwise.
// SDXL, SD3, Flux, diffusers component files and files without a text
// encoder or VAE are Unimplemented ("not supported yet"), naming what was
// found; inconsistent shapes are InvalidArgument naming the tensor.
//
// LdmName maps a diffusers/transformers parameter name (what the networks in
// nets/ ask for) to the tensor of the single file that holds it, so the
// networks load unchanged through a renaming ParamSource (ldm_source.h).
// ToLdmTensors goes the other way: it writes diffusers-named tensors as a
// single file (tests, benchmarks).
//
// Thread-safety: plain functions and values.
#ifndef EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_LAYOUT_H_
#define EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_LAYOUT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/format/safetensors_writer.h"

namespace ebb::inference::diffusion {

enum class LdmFamily { kSd1, kSd2 };

struct LdmArchitecture {
  LdmFamily family = LdmFamily::kSd1;
  bool sgm = false;         // conditioner.embedders.0.* naming (sd-turbo)
  std::string text_prefix;  // "cond_stage_model.transformer.", ...
  ClipTextConfig text;
  UNetConfig unet;
  VaeConfig vae;
  int32_t pad_id = 49407;
  // The scheduler_config.json the family implies (diffusers' for the model).
  std::string scheduler_json;
  // "SD 1.x (CLIP text 768 x 12 layers, UNet [320, 640, 1280, 1280], ...)".
  std::string Describe() const;
};

// name -> shape for every tensor of a file.
using ShapeMap = std::map<std::string, std::vector<int64_t>, std::less<>>;

absl::StatusOr<LdmArchitecture> InferLdmArchitecture(const ShapeMap& shapes);

enum class LdmComponent { kTextEncoder, kUNet, kVae };

struct LdmTensorRef {
  std::string name;  // full single-file name
  // 0, 1 or 2: rows [part * D, (part + 1) * D) of OpenCLIP's fused
  // in_proj_weight [3D, D] / in_proj_bias [3D] (q, k, v); -1: whole tensor.
  int qkv_part = -1;
  // Stored as a 1x1 conv [out, in, 1, 1] where diffusers has Linear
  // [out, in] (the VAE's mid attention).
  bool conv1x1 = false;
};

// InvalidArgument for a name the component does not have.
absl::StatusOr<LdmTensorRef> LdmName(const LdmArchitecture& arch,
                                     LdmComponent component,
                                     std::string_view diffusers_name);

// Tensors of a single file that ebb reads nothing from, by design: the VAE
// encoder and quant_conv (no img2img), position_ids, EMA copies, the
// schedule buffers (betas, alphas_cumprod, ...), denoiser.sigmas, OpenCLIP's
// last resblock, text_projection and logit_scale.
bool IsIgnoredLdmTensor(const LdmArchitecture& arch, std::string_view name);

// Renames diffusers-named tensors of the three networks to the single-file
// layout of `arch` (fusing OpenCLIP q/k/v, reshaping the VAE attention to
// 1x1 convs) and adds what a real file carries beside them: SD 2.x's unused
// last resblock (a copy of the last layer) and text_projection, SD 1.x's
// position_ids, a VAE encoder conv_in, SGM's denoiser.sigmas. InvalidArgument
// for a name LdmName does not know or q/k/v of different dtypes.
absl::StatusOr<std::vector<TensorToWrite>> ToLdmTensors(
    const LdmArchitecture& arch, const std::vector<TensorToWrite>& text,
    const std::vector<TensorToWrite>& unet,
    const std::vector<TensorToWrite>& vae);

// The architecture a file written by ToLdmTensors for these configs must be
// inferred as (family defaults filled in: pad id, scheduler, heads, ...).
LdmArchitecture MakeLdmArchitecture(LdmFamily family, bool sgm,
                                    const ClipTextConfig& text,
                                    const UNetConfig& unet,
                                    const VaeConfig& vae);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_LAYOUT_H_
