// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/pipeline/device_options.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status.h"

namespace ebb::inference::diffusion {
namespace {

bool HasFlag(std::string_view cpuinfo, std::string_view flag) {
  std::istringstream lines{std::string(cpuinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("flags")) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string w;
    while (words >> w) {
      if (w == flag) return true;
    }
  }
  return false;
}

}  // namespace

absl::Status CheckNativeBf16(std::string_view cpuinfo) {
  if (HasFlag(cpuinfo, "avx512_bf16") || HasFlag(cpuinfo, "amx_bf16")) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      "dtype bf16 needs a CPU with native bf16 (cpu flags avx512_bf16 or "
      "amx_bf16); this CPU has neither, and emulated bf16 is slower than "
      "f32: use dtype f32");
}

absl::StatusOr<LoadSettings> ResolveOptions(const PipelineOptions& o) {
  LoadSettings s;
  s.vae_decoder = o.vae_decoder;
  s.prediction_type = o.prediction_type;
  if (o.device == "cuda" || o.device == "gpu") {
    if (at::hasCUDA()) {
      s.device = at::Device(at::kCUDA, 0);
    } else if (o.device == "cuda") {
      return absl::FailedPreconditionError(
          "device cuda: this build's libtorch has no CUDA (or sees no GPU); "
          "see docs/models.md for building against a CUDA libtorch");
    } else {
      EBB_LOG_WARN(
          "device gpu: this build's libtorch has no CUDA (or sees no GPU); "
          "running on the CPU");
    }
  } else if (!o.device.empty() && o.device != "cpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("device \"", o.device, "\" is not one of cpu, cuda, gpu"));
  }
  if (o.dtype == "bf16") {
    if (s.device.is_cpu()) {
      EBB_ASSIGN_OR_RETURN(std::string cpuinfo, ReadFile("/proc/cpuinfo"));
      EBB_RETURN_IF_ERROR(CheckNativeBf16(cpuinfo));
    }
    s.dtype = at::kBFloat16;
  } else if (!o.dtype.empty() && o.dtype != "f32") {
    return absl::InvalidArgumentError(
        absl::StrCat("dtype \"", o.dtype, "\" is not one of f32, bf16"));
  }
  if (o.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threads = ", o.threads, " must be >= 0 (0: leave as is)"));
  }
  if (o.threads > 0) at::set_num_threads(o.threads);
  return s;
}

}  // namespace ebb::inference::diffusion
