// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/random_weights.h
//
// For tests and the tiny-model writer: random weights for a network, named and
// shaped exactly as its Load asks for them (through SpecRecorder), ready to
// write as a safetensors file in the diffusers naming.
//
// Values: N(0, 1/fan_in) (fan_in = the product of every dimension but the
// first), so activations keep their scale through deep random networks; 1-D
// "*norm*.weight" tensors 1 + 0.1 N(0, 1/fan_in). Deterministic per seed
// (std::mt19937, std::normal_distribution<float>).
//
// Thread-safety: pure functions.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_RANDOM_WEIGHTS_H_
#define EBB_INFERENCE_DIFFUSION_NETS_RANDOM_WEIGHTS_H_

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/status.h"
#include "inference/diffusion/format/safetensors.h"
#include "inference/diffusion/format/safetensors_writer.h"
#include "inference/diffusion/nets/weights.h"

namespace ebb::inference::diffusion {

struct RandomWeightOptions {
  uint32_t seed = 1;
  DType dtype = DType::kF32;  // how the values are encoded
  // Round every value to bf16 and flush those below f16's normal range to 0,
  // so the same numbers are exact in F32, F16 and BF16 files (tests that
  // compare dtypes).
  bool exact_in_half = false;
};

// Errors: those of Net::Load(SpecRecorder, config) (a bad config) and of
// encoding.
template <typename Net, typename Config>
absl::StatusOr<std::vector<TensorToWrite>> RandomWeights(
    const Config& config, const RandomWeightOptions& o = {}) {
  SpecRecorder rec;
  EBB_RETURN_IF_ERROR(Net::Load(rec, config).status());
  std::mt19937 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<TensorToWrite> out;
  for (const auto& s : rec.specs()) {
    int64_t numel = 1, fan_in = 1;
    for (int64_t d : s.shape) numel *= d;
    for (size_t i = 1; i < s.shape.size(); ++i) fan_in *= s.shape[i];
    const bool norm_w = s.shape.size() == 1 &&
                        s.name.find("norm") != std::string::npos &&
                        s.name.ends_with(".weight");
    std::vector<float> v(numel);
    for (auto& x : v) {
      const float r = normal(rng) / std::sqrt(static_cast<float>(fan_in));
      x = norm_w ? 1 + 0.1f * r : r;
      if (o.exact_in_half) {
        x = BFloat16ToFloat(FloatToBFloat16(x));
        if (std::abs(x) < 6.2e-5f) x = 0;
      }
    }
    EBB_ASSIGN_OR_RETURN(std::string bytes, EncodeFloats(v, o.dtype));
    out.push_back({s.name, o.dtype, s.shape, std::move(bytes)});
  }
  return out;
}

// RandomWeights written to `path` (parent folders created).
template <typename Net, typename Config>
absl::Status WriteRandomWeights(const std::filesystem::path& path,
                                const Config& config,
                                const RandomWeightOptions& o = {}) {
  EBB_ASSIGN_OR_RETURN(auto tensors, (RandomWeights<Net, Config>(config, o)));
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  return WriteSafetensors(path.string(), tensors);
}

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_RANDOM_WEIGHTS_H_
