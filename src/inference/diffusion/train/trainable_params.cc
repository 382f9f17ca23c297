// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/train/trainable_params.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "inference/diffusion/format/safetensors_writer.h"

namespace ebb::inference::diffusion::train {

TrainableParams::TrainableParams(uint64_t seed)
    : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

absl::StatusOr<at::Tensor> TrainableParams::Get(
    const std::string& name, const std::vector<int64_t>& shape) {
  for (const auto& [n, t] : params_) {
    if (n == name) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", name, " requested twice"));
    }
  }
  at::Tensor t;
  const bool is_bias = absl::EndsWith(name, ".bias");
  const bool is_norm = shape.size() == 1 && absl::StrContains(name, "norm");
  if (absl::StrContains(name, "embedding.weight") &&
      absl::StartsWith(name, "text_model.embeddings")) {
    t = at::normal(0.0, 0.02, shape, gen_);
  } else if (is_bias) {
    t = at::zeros(shape, at::kFloat);
  } else if (is_norm) {
    t = at::ones(shape, at::kFloat);
  } else {
    int64_t fan_in = 1;
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    t = at::empty(shape, at::kFloat).uniform_(-bound, bound, gen_);
  }
  t = t.contiguous().set_requires_grad(true);
  params_.emplace_back(name, t);
  return t;
}

absl::Status TrainableParams::Write(
    const std::string& path, const std::vector<at::Tensor>& values) const {
  if (values.size() != params_.size()) {
    return absl::InvalidArgumentError("values do not match the parameters");
  }
  std::vector<TensorToWrite> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    at::Tensor v = values[i].detach().to(at::kFloat).contiguous();
    TensorToWrite w;
    w.name = params_[i].first;
    w.dtype = DType::kF32;
    w.shape = v.sizes().vec();
    w.bytes.resize(v.numel() * sizeof(float));
    std::memcpy(w.bytes.data(), v.data_ptr<float>(), w.bytes.size());
    out.push_back(std::move(w));
  }
  return WriteSafetensors(path, out);
}

}  // namespace ebb::inference::diffusion::train
