// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <malloc.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion {

absl::StatusOr<std::string> ResolveDevice(const std::string& requested,
                                          std::string* warning) {
  const std::string d = absl::AsciiStrToLower(requested);
  if (d == "cpu") return d;
  if (d != "cuda" && d != "gpu") {
    return absl::InvalidArgumentError(absl::StrCat(
        "device \"", requested, "\" is not one of cpu, cuda, gpu"));
  }
  const bool cuda = at::hasCUDA();
  if (cuda) return std::string("cuda");
  const std::string why =
      "this build's libtorch has no CUDA support or no GPU is visible";
  if (d == "cuda") {
    return absl::FailedPreconditionError(absl::StrCat(
        "device cuda: ", why,
        " (build ebb against a CUDA libtorch: -DTorch_DIR=..., see "
        "docs/models.md; or use --device cpu, or gpu to fall back to the "
        "CPU)"));
  }
  if (warning != nullptr) {
    *warning = absl::StrCat("device ", requested, " requested but ", why,
                            ": running on the CPU");
  }
  return std::string("cpu");
}

void SetComputeThreads(int n) { at::set_num_threads(n < 1 ? 1 : n); }

void TuneMalloc() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 1 << 30);
}

}  // namespace ebb::inference::diffusion
