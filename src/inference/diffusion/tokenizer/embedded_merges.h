// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/tokenizer/embedded_merges.h
//
// third_party/clip/merges.txt compiled into the binary (generated at
// configure time from embedded_merges.cc.in), so that single-file
// checkpoints, which carry no tokenizer, need no file beside the binary.
// Thread-safety: immutable static data.
#ifndef EBB_INFERENCE_DIFFUSION_TOKENIZER_EMBEDDED_MERGES_H_
#define EBB_INFERENCE_DIFFUSION_TOKENIZER_EMBEDDED_MERGES_H_

#include <string_view>

namespace ebb::inference::diffusion {

// The whole file: "#version: 0.2" header, then 48,894 merges.
std::string_view EmbeddedClipMerges();

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_TOKENIZER_EMBEDDED_MERGES_H_
