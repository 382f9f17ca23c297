// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/backend/runtime.h
//
// Process-wide libtorch settings for the inference binary, behind a
// torch-free header (runtime.cc is the only file here that includes
// libtorch). Call from the main thread at start-up, before loading a model.
#ifndef EBB_INFERENCE_DIFFUSION_BACKEND_RUNTIME_H_
#define EBB_INFERENCE_DIFFUSION_BACKEND_RUNTIME_H_

#include <string>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

// The device to run on for a requested one (case-insensitive):
//   "cpu"  -> "cpu";
//   "cuda" -> "cuda" when this build's libtorch has CUDA and a GPU is
//             visible, else FailedPrecondition saying which is missing;
//   "gpu"  -> "cuda" when available, else "cpu" with `*warning` set (what
//             DEVICE=GPU on a CPU-only image gets);
// anything else: InvalidArgument naming the allowed values.
absl::StatusOr<std::string> ResolveDevice(const std::string& requested,
                                          std::string* warning);

// libtorch's intra-op threads (at::set_num_threads); n >= 1.
void SetComputeThreads(int n);

// glibc malloc for large tensors: keeps freed blocks in the heap instead of
// returning them to the kernel (first-touch page faults of fresh buffers
// dominate on small VMs).
void TuneMalloc();

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_BACKEND_RUNTIME_H_
