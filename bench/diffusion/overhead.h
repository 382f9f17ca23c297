// SPDX-License-Identifier: Apache-2.0
//
// File: bench/diffusion/overhead.h
//
// The parts of a diffusion request outside the networks' forward passes, as
// the pipeline runs them: tokenize (CLIP BPE, a short and a 100-word prompt),
// scheduler set-up and one step on a 64x64 latent (Euler; Euler ancestral
// with its noise draw), latents -> 8-bit RGB, PNG encode. Medians of many
// runs, milliseconds.
#ifndef EBB_BENCH_DIFFUSION_OVERHEAD_H_
#define EBB_BENCH_DIFFUSION_OVERHEAD_H_

#include <ATen/core/Tensor.h>

#include <string>

namespace ebb::bench {

struct Overhead {
  double tokenize_ms = 0, tokenize_long_ms = 0, scheduler_ms = 0,
         scheduler_a_ms = 0, rgb_ms = 0, png_ms = 0;
  // What one 1-step request pays: tokenize + scheduler + rgb + png.
  double RequestMs() const {
    return tokenize_ms + scheduler_ms + rgb_ms + png_ms;
  }
};

// `image`: a decoded [1, 3, H, W] image in about [-1, 1].
Overhead MeasureOverhead(const at::Tensor& image);

}  // namespace ebb::bench

#endif  // EBB_BENCH_DIFFUSION_OVERHEAD_H_
