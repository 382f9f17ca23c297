// SPDX-License-Identifier: Apache-2.0
//
// File: bench/diffusion/compare.h
//
// ebb against stable-diffusion.cpp on the same single-file checkpoint: ebb's
// networks load it through LdmCheckpoint and generate as the pipeline does
// (CLIP tokens, text encoder, latents = torch CPU randn(seed) * sigma_max,
// Euler, `trailing` spacing so 1 step is t = 999 as sd.cpp's discrete
// schedule gives, cond/uncond batched when cfg > 1, VAE decode), then sd-cli
// runs with --rng cpu (torch's CPU generator) and the same seed, sampler,
// steps, cfg and size. Prints each side's CPU-seconds and wall, their ratio,
// and the decoded images' PSNR.
#ifndef EBB_BENCH_DIFFUSION_COMPARE_H_
#define EBB_BENCH_DIFFUSION_COMPARE_H_

#include <string>
#include <vector>

namespace ebb::bench {

struct CompareCase {
  int size = 256;
  double cfg = 1.0;
};

// Returns false when the checkpoint or sd-cli fails (the reason printed).
bool CompareWithSdCpp(const std::string& checkpoint, const std::string& sd_cli,
                      const std::vector<CompareCase>& cases, int threads,
                      const std::string& work_dir);

}  // namespace ebb::bench

#endif  // EBB_BENCH_DIFFUSION_COMPARE_H_
