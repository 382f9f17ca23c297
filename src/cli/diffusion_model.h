// SPDX-License-Identifier: Apache-2.0
//
// File: cli/diffusion_model.h
//
// ebb-diffusion only: the model factory of a worker or `ebb generate` that
// also builds Stable Diffusion models (inference/diffusion/backend). Sets the
// process-wide compute threads and logs model, device, dtype and threads.
#ifndef EBB_CLI_DIFFUSION_MODEL_H_
#define EBB_CLI_DIFFUSION_MODEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cli/model_cli.h"
#include "inference/diffusion/backend/diffusion_text_to_image.h"

namespace ebb::cli {

struct DiffusionSetup {
  std::string device;  // resolved: cpu | cuda
  int threads = 1;
  std::string threads_source;
};

// The diffusion model for `o` (not loaded). Errors: InvalidArgument (bad
// device/dtype names), FailedPrecondition (--device cuda without CUDA),
// NotFound (no such model). `setup` (optional) receives what was chosen.
absl::StatusOr<std::unique_ptr<inference::diffusion::DiffusionTextToImage>>
MakeDiffusionModel(const ModelCliOptions& o, DiffusionSetup* setup = nullptr);

// ModelFactory for ebb-diffusion's worker: the sim for "sim", else
// MakeDiffusionModel.
absl::StatusOr<std::unique_ptr<inference::TextToImage>> MakeWorkerModel(
    const ModelCliOptions& o);

}  // namespace ebb::cli

#endif  // EBB_CLI_DIFFUSION_MODEL_H_
