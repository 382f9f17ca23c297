// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/single_file/ldm_checkpoint.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::inference::diffusion {

class LdmCheckpoint::Source : public ParamSource {
 public:
  Source(const LdmArchitecture& arch, LdmComponent component,
         WeightStore& store)
      : arch_(arch), component_(component), store_(store) {}

  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override {
    EBB_ASSIGN_OR_RETURN(LdmTensorRef ref, LdmName(arch_, component_, name));
    if (ref.qkv_part >= 0) {
      std::vector<int64_t> fused = shape;
      if (fused.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": scalar q/k/v"));
      }
      fused[0] *= 3;
      EBB_ASSIGN_OR_RETURN(at::Tensor all, store_.Get(ref.name, fused));
      return all.narrow(0, ref.qkv_part * shape[0], shape[0]);
    }
    if (ref.conv1x1) {
      const TensorInfo* info = store_.Find(ref.name);
      if (info && info->shape.size() == shape.size() + 2) {
        std::vector<int64_t> conv = shape;
        conv.insert(conv.end(), {1, 1});
        EBB_ASSIGN_OR_RETURN(at::Tensor t, store_.Get(ref.name, conv));
        return t.reshape(shape);
      }
    }
    return store_.Get(ref.name, shape);
  }

  bool Has(const std::string& name) const override {
    auto ref = LdmName(arch_, component_, name);
    return ref.ok() && store_.Has(ref->name);
  }

 private:
  const LdmArchitecture& arch_;
  LdmComponent component_;
  WeightStore& store_;
};

absl::StatusOr<std::unique_ptr<LdmCheckpoint>> LdmCheckpoint::Open(
    const std::string& path) {
  auto c = std::unique_ptr<LdmCheckpoint>(new LdmCheckpoint());
  c->path_ = path;
  EBB_ASSIGN_OR_RETURN(c->store_, WeightStore::Open({path}));
  ShapeMap shapes;
  for (const std::string& name : c->store_->Unused()) {
    shapes.emplace(name, c->store_->Find(name)->shape);
  }
  auto arch = InferLdmArchitecture(shapes);
  if (!arch.ok()) {
    return absl::Status(arch.status().code(),
                        absl::StrCat(path, ": ", arch.status().message()));
  }
  c->arch_ = *std::move(arch);
  for (LdmComponent comp :
       {LdmComponent::kTextEncoder, LdmComponent::kUNet, LdmComponent::kVae}) {
    c->sources_[static_cast<int>(comp)] =
        std::make_unique<Source>(c->arch_, comp, *c->store_);
  }
  return c;
}

LdmCheckpoint::~LdmCheckpoint() = default;

ParamSource& LdmCheckpoint::source(LdmComponent component) {
  return *sources_[static_cast<int>(component)];
}

std::vector<std::string> LdmCheckpoint::UnexpectedUnused() const {
  std::vector<std::string> out;
  for (std::string& name : store_->Unused()) {
    if (!IsIgnoredLdmTensor(arch_, name)) out.push_back(std::move(name));
  }
  return out;
}

size_t LdmCheckpoint::tensor_count() const { return store_->size(); }

size_t LdmCheckpoint::used_count() const {
  return store_->size() - store_->Unused().size();
}

}  // namespace ebb::inference::diffusion
