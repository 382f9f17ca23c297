// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/train/trainable_params.h
//
// A ParamSource (nets/weights.h) that creates every tensor a network asks for
// as a freshly initialised float32 leaf that requires grad, so a network
// built from it by its ordinary Load trains under autograd. Initialisation,
// from a seed (libtorch's CPU generator): normalisation weights 1, biases 0,
// embeddings N(0, 0.02^2), other weights U(-1/sqrt(fan_in), 1/sqrt(fan_in))
// (PyTorch's default for Linear and Conv2d).
//
// Thread-safety: not thread-safe (one trainer).
#ifndef EBB_INFERENCE_DIFFUSION_TRAIN_TRAINABLE_PARAMS_H_
#define EBB_INFERENCE_DIFFUSION_TRAIN_TRAINABLE_PARAMS_H_

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "inference/diffusion/nets/weights.h"

namespace ebb::inference::diffusion::train {

class TrainableParams : public ParamSource {
 public:
  explicit TrainableParams(uint64_t seed);
  // A new trainable tensor; InvalidArgument when `name` was already made.
  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override;
  bool Has(const std::string&) const override { return true; }

  // (name, tensor) in creation order.
  const std::vector<std::pair<std::string, at::Tensor>>& params() const {
    return params_;
  }
  // Writes `values` (same order and shapes as params(), e.g. the EMA copy)
  // as one F32 safetensors file.
  absl::Status Write(const std::string& path,
                     const std::vector<at::Tensor>& values) const;

 private:
  at::Generator gen_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
};

}  // namespace ebb::inference::diffusion::train

#endif  // EBB_INFERENCE_DIFFUSION_TRAIN_TRAINABLE_PARAMS_H_
