// SPDX-License-Identifier: Apache-2.0
#include "cli/diffusion_model.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "inference/diffusion/backend/runtime.h"
#include "inference/diffusion/backend/threads.h"

namespace ebb::cli {

using inference::diffusion::DiffusionTextToImage;

absl::StatusOr<std::unique_ptr<DiffusionTextToImage>> MakeDiffusionModel(
    const ModelCliOptions& o, DiffusionSetup* setup) {
  std::string warning;
  absl::StatusOr<std::string> device =
      inference::diffusion::ResolveDevice(o.device, &warning);
  if (!device.ok()) return device.status();
  if (!warning.empty()) EBB_LOG_WARN("{}", warning);
  if (o.dtype != "f32" && o.dtype != "bf16") {
    return absl::InvalidArgumentError(
        absl::StrCat("dtype \"", o.dtype, "\" is not one of f32, bf16"));
  }
  inference::diffusion::ThreadChoice threads;
  if (o.threads > 0) {
    threads = {o.threads, "--threads"};
  } else {
    threads = inference::diffusion::ThreadsForThisJob();
  }
  inference::diffusion::SetComputeThreads(threads.threads);
  inference::diffusion::DiffusionOptions d;
  d.path = o.model;
  d.pipeline.device = *device;
  d.pipeline.dtype = o.dtype;
  d.pipeline.vae_decoder = o.vae_decoder;
  d.pipeline.prediction_type = o.prediction_type;
  d.pipeline.threads = threads.threads;
  auto model = DiffusionTextToImage::Create(d);
  if (!model.ok()) return model.status();
  std::string native = "none declared";
  if (const auto& n = (*model)->native_size()) {
    native = absl::StrCat(n->width, "x", n->height);
  }
  EBB_LOG_INFO(
      "model {} ({}), device {}, dtype {}, decoder {}, prediction {}, "
      "threads {} ({}), native size {}",
      (*model)->ModelName(), o.model, *device, o.dtype,
      o.vae_decoder.empty() ? "default" : o.vae_decoder,
      o.prediction_type.empty() ? "the model's" : o.prediction_type,
      threads.threads, threads.source, native);
  if (setup != nullptr) *setup = {*device, threads.threads, threads.source};
  return model;
}

absl::StatusOr<std::unique_ptr<inference::TextToImage>> MakeWorkerModel(
    const ModelCliOptions& o) {
  if (IsSimModel(o.model)) return MakeSimModel(o);
  auto model = MakeDiffusionModel(o);
  if (!model.ok()) return model.status();
  return std::unique_ptr<inference::TextToImage>(std::move(*model));
}

}  // namespace ebb::cli
