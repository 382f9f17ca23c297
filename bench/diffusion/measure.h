// SPDX-License-Identifier: Apache-2.0
//
// File: bench/diffusion/measure.h
//
// Helpers of the diffusion benchmark (bench_diffusion.cc): wall and
// CPU-seconds of a callable over repetitions, random full-size weights from a
// network's parameter list (SpecRecorder names and shapes), a per-operator
// profile through libtorch's RecordFunction callbacks, the fp32 GEMM peak with
// libtorch's matmul, a stable-diffusion.cpp (sd-cli) runner, and PSNR.
// Not a library of ebb: a benchmark tool, single-threaded driver code.
#ifndef EBB_BENCH_DIFFUSION_MEASURE_H_
#define EBB_BENCH_DIFFUSION_MEASURE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/diffusion/nets/weights.h"

namespace ebb::bench {

// Wall seconds and CPU-seconds (user + system, all threads of the process).
struct Cost {
  double wall_s = 0, cpu_s = 0;
};
struct Costs {
  std::vector<Cost> runs;
  double MedianWall() const;
  double MinWall() const;
  double MaxWall() const;
  double MedianCpu() const;
  // "median 6.81 s (min 6.70, max 7.02), cpu-s 13.4"
  std::string Describe() const;
};
Cost Measure(const std::function<void()>& f);
Costs Repeat(int reps, const std::function<void()>& f);

// Peak resident set size of this process so far, MB (getrusage ru_maxrss).
double PeakRssMb();
// Current resident set size, MB (/proc/self/statm).
double CurrentRssMb();

// Random weights: N(0, std) except 1-D *norm*.weight = 1 and *norm*.bias = 0
// (as make_random_sd15.py writes them), float32, deterministic per seed;
// values are drawn from a pool of 4 M normals (fast to build).
class RandomSource : public inference::diffusion::ParamSource {
 public:
  explicit RandomSource(uint64_t seed, double std = 0.02);
  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override;
  bool Has(const std::string&) const override { return true; }
  int64_t parameters() const { return parameters_; }

 private:
  at::Tensor pool_;
  int64_t offset_ = 0;
  int64_t parameters_ = 0;
};

// Per-operator time of top-level ATen ops on the calling thread (nested ops
// are charged to their caller), while a ScopedOpProfile lives.
class ScopedOpProfile {
 public:
  ScopedOpProfile();
  ~ScopedOpProfile();
  struct Row {
    std::string op;
    double ms = 0;
    int64_t calls = 0;
  };
  // Sorted by time, largest first.
  std::vector<Row> Rows() const;

 private:
  uint64_t handle_;
};

// Best GFLOP/s of an n x n x n fp32 at::mm with libtorch's current threads.
double GemmPeakGflops(int64_t n, int reps);

// One sd-cli run: its own phase times (s), wall, CPU-seconds, peak RSS.
struct SdCppResult {
  double text_s = 0, sampling_s = 0, decode_s = 0, generate_s = 0;
  double wall_s = 0, cpu_s = 0, rss_mb = 0;
  std::string log;  // path of the full log
};
struct SdCppCase {
  int width = 512, height = 512, steps = 1;
  double cfg = 1.0;
  std::string sampler = "euler";
  std::string prompt = "a red circle";
  uint64_t seed = 1;
  std::string rng = "cpu";  // cpu: torch's CPU generator (ComfyUI)
  int threads = 2;
  std::string out_png;
};
absl::StatusOr<SdCppResult> RunSdCpp(const std::string& sd_cli,
                                     const std::string& model,
                                     const SdCppCase& c,
                                     const std::string& work_dir);

// Runs `cmd` through the shell; its stdout, or an error naming the command.
absl::StatusOr<std::string> RunCommand(const std::string& cmd);

// PSNR (dB) of two 8-bit images of the same size; inf when identical.
double Psnr8(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

}  // namespace ebb::bench

#endif  // EBB_BENCH_DIFFUSION_MEASURE_H_
