// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/nets/weights.h
//
// Where a network's parameters come from. Every network is built by asking a
// ParamSource for each tensor by its diffusers/transformers name and the shape
// its config implies, so the naming lives in one place (the network's Load)
// and serves three uses:
//   WeightStore  reads safetensors files (validated by SafetensorsFile) and
//                returns float32 tensors: F32 data is a zero-copy, read-only
//                view of the shared mapping (never write to it); F16, BF16 and
//                F64 are converted (libtorch 1.13 cannot compute in F16 on
//                CPU). Errors name the tensor, the file and both shapes.
//   SpecRecorder records (name, shape) without data: the list a bench or test
//                tool writes random weights from.
//
// Thread-safety: WeightStore::Get may be called from several threads (the
// set of used names is mutex-guarded); tensors it returns keep the mapping
// alive.
#ifndef EBB_INFERENCE_DIFFUSION_NETS_WEIGHTS_H_
#define EBB_INFERENCE_DIFFUSION_NETS_WEIGHTS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/format/safetensors.h"

namespace ebb::inference::diffusion {

class ParamSource {
 public:
  virtual ~ParamSource() = default;
  // The tensor `name` as contiguous float32 of exactly `shape`.
  // NotFound when absent; InvalidArgument for another shape or a non-float
  // dtype (the message names the tensor and both shapes).
  virtual absl::StatusOr<at::Tensor> Get(const std::string& name,
                                         const std::vector<int64_t>& shape) = 0;
  // Whether `name` exists (SpecRecorder: always true).
  virtual bool Has(const std::string& name) const = 0;
};

class WeightStore : public ParamSource {
 public:
  // All tensors of all files form one namespace; a name present in two
  // files is InvalidArgument. SafetensorsFile::Open errors pass through.
  static absl::StatusOr<std::unique_ptr<WeightStore>> Open(
      const std::vector<std::string>& paths);

  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override;
  bool Has(const std::string& name) const override;
  // The stored dtype and shape of `name`; nullptr when absent.
  const TensorInfo* Find(const std::string& name) const;
  // Number of tensors in all files.
  size_t size() const { return index_.size(); }
  // Names no Get has asked for, sorted (unexpected extra tensors).
  std::vector<std::string> Unused() const;
  // "a.safetensors, b.safetensors" for messages.
  std::string Describe() const;

 private:
  struct Entry {
    std::shared_ptr<const SafetensorsFile> file;
    const TensorInfo* info;
  };
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> index_;
  mutable std::mutex mu_;
  std::set<std::string> used_;
};

class SpecRecorder : public ParamSource {
 public:
  struct Spec {
    std::string name;
    std::vector<int64_t> shape;
  };
  // Returns an uninitialised (at::empty) tensor of `shape` and records it.
  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override;
  bool Has(const std::string&) const override { return true; }
  const std::vector<Spec>& specs() const { return specs_; }

 private:
  std::vector<Spec> specs_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_NETS_WEIGHTS_H_
