// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/single_file/ldm_checkpoint.h
//
// A single-file SD 1.x/2.x checkpoint (ldm_layout.h) opened for loading the
// networks of nets/ unchanged: source(component) is a ParamSource that
// answers diffusers names from the file's LDM tensors (renamed; OpenCLIP's
// fused in_proj split into q, k, v rows; the VAE attention's 1x1 convs viewed
// as Linear; a Linear-shaped VAE attention is accepted too). Tensors come
// from a WeightStore, so dtype conversion, shape checks and error messages
// (naming the single-file tensor, the file and both shapes) are its.
//
// Errors of Open: SafetensorsFile's (missing file, pickle/GGUF refusal,
// malformed header) and InferLdmArchitecture's (unsupported architecture).
// Thread-safety: as WeightStore; sources are owned by the checkpoint.
#ifndef EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_CHECKPOINT_H_
#define EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_CHECKPOINT_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/nets/weights.h"
#include "inference/diffusion/single_file/ldm_layout.h"

namespace ebb::inference::diffusion {

class LdmCheckpoint {
 public:
  static absl::StatusOr<std::unique_ptr<LdmCheckpoint>> Open(
      const std::string& path);

  ~LdmCheckpoint();

  const LdmArchitecture& arch() const { return arch_; }
  // The renaming view of one network's tensors (valid while *this lives).
  ParamSource& source(LdmComponent component);
  // Tensors no network has read that IsIgnoredLdmTensor does not explain,
  // sorted. Empty after loading all three networks from a well-formed file.
  std::vector<std::string> UnexpectedUnused() const;
  // Tensors of the file, and how many of them the networks read.
  size_t tensor_count() const;
  size_t used_count() const;
  const std::string& path() const { return path_; }

 private:
  class Source;
  LdmCheckpoint() = default;
  std::string path_;
  LdmArchitecture arch_;
  std::unique_ptr<WeightStore> store_;
  std::array<std::unique_ptr<Source>, 3> sources_;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_SINGLE_FILE_LDM_CHECKPOINT_H_
