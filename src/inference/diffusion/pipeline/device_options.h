// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/pipeline/device_options.h (private to pipeline/)
//
// PipelineOptions' dtype, device and threads checked against this machine
// and this build's libtorch:
//   dtype  "f32" (or "") | "bf16": on CPU only where it is native
//          (/proc/cpuinfo flags avx512_bf16 or amx_bf16); elsewhere
//          libtorch emulates it slowly, so FailedPrecondition.
//   device "cpu" (or "") | "cuda": FailedPrecondition when libtorch has no
//          CUDA or sees no GPU | "gpu": cuda when available, else cpu with
//          a warning.
//   threads > 0: at::set_num_threads (process-wide); 0 leaves it.
// Other values are InvalidArgument naming what is allowed.
// Thread-safety: ResolveOptions sets libtorch's process-wide thread count.
#ifndef EBB_INFERENCE_DIFFUSION_PIPELINE_DEVICE_OPTIONS_H_
#define EBB_INFERENCE_DIFFUSION_PIPELINE_DEVICE_OPTIONS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "inference/diffusion/pipeline/model_loader.h"
#include "inference/diffusion/pipeline/pipeline.h"

namespace ebb::inference::diffusion {

// OK when `cpuinfo` (the text of /proc/cpuinfo) lists avx512_bf16 or
// amx_bf16; FailedPrecondition saying so otherwise.
absl::Status CheckNativeBf16(std::string_view cpuinfo);

absl::StatusOr<LoadSettings> ResolveOptions(const PipelineOptions& options);

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_PIPELINE_DEVICE_OPTIONS_H_
