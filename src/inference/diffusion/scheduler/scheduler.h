// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/scheduler/scheduler.h
//
// Noise schedulers for Stable Diffusion sampling, configured from a diffusers
// `scheduler/scheduler_config.json`, mirroring huggingface/diffusers:
//   Euler             src/diffusers/schedulers/scheduling_euler_discrete.py
//   Euler ancestral
//   src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py DDIM
//   src/diffusers/schedulers/scheduling_ddim.py LCM
//   src/diffusers/schedulers/scheduling_lcm.py
// (formulas restated in scheduler.cc beside each; no code copied).
//
// Common: betas ("linear": linspace(beta_start, beta_end, T); "scaled_linear":
// linspace(sqrt(beta_start), sqrt(beta_end), T)^2), alphas_cumprod
// ac_t = prod_{s<=t}(1 - beta_s), sigma_t = sqrt((1 - ac_t) / ac_t).
//
// Use: Create(), then for i in [0, steps): feed the UNet
// sample * InputScale(i) at timestep timesteps()[i], then Step(i, ...) with
// its (guided) output. The sample starts as unit Gaussian noise times
// init_noise_sigma(). Samples are flat float spans (any layout: the math is
// element-wise); all arithmetic is in double per element, stored as float.
//
// Errors: InvalidArgument for a config value outside what is implemented
// (named, with what is allowed) or steps out of range.
// Thread-safety: immutable after Create; Step is const and may run on any
// thread (the caller owns the sample).
#ifndef EBB_INFERENCE_DIFFUSION_SCHEDULER_SCHEDULER_H_
#define EBB_INFERENCE_DIFFUSION_SCHEDULER_SCHEDULER_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

enum class SchedulerKind { kEuler, kEulerAncestral, kDdim, kLcm };
enum class PredictionType { kEpsilon, kVPrediction, kSample };

// The fields of scheduler_config.json that these schedulers read; defaults
// are diffusers' (per class where they differ: see ParseSchedulerConfig).
struct SchedulerConfig {
  std::string class_name;  // "_class_name", e.g. "EulerDiscreteScheduler"
  int num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear
  PredictionType prediction_type = PredictionType::kEpsilon;
  // linspace | leading | trailing; unset: Euler family linspace, DDIM
  // leading (the classes' defaults). LCM has its own schedule.
  std::optional<std::string> timestep_spacing;
  int steps_offset = 0;
  bool set_alpha_to_one = true;     // DDIM, LCM: ac_prev past the end
  std::optional<bool> clip_sample;  // DDIM default true, LCM default false
  double clip_sample_range = 1.0;
  int original_inference_steps = 50;  // LCM
  double timestep_scaling = 10.0;     // LCM
  double eta = 0.0;                   // DDIM (a call argument in diffusers)
};

// Parses scheduler_config.json text. Unknown keys are ignored; settings that
// change the math and are not implemented (use_karras_sigmas,
// use_exponential_sigmas, use_beta_sigmas: true; interpolation_type other
// than linear; thresholding: true; rescale_betas_zero_snr: true; a
// beta_schedule other than linear/scaled_linear) are InvalidArgument.
absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(const std::string& json);

// "euler" | "euler_a" | "ddim" | "lcm", or a diffusers class name
// (EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, DDIMScheduler,
// LCMScheduler). PNDMScheduler (SD 1.5's default) maps to Euler with the
// config's spacing, as ebb does not implement PNDM. InvalidArgument otherwise.
absl::StatusOr<SchedulerKind> ParseSchedulerKind(const std::string& name);
const char* SchedulerKindName(SchedulerKind kind);  // "euler", ...

class Scheduler {
 public:
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(
      SchedulerKind kind, const SchedulerConfig& config, int steps);

  SchedulerKind kind() const { return kind_; }
  // The timestep the UNet sees at each step (fractional for Euler linspace).
  const std::vector<double>& timesteps() const { return timesteps_; }
  // Euler family: steps + 1 sigmas, the last 0. Empty for DDIM/LCM.
  const std::vector<double>& sigmas() const { return sigmas_; }
  const std::vector<double>& alphas_cumprod() const { return alphas_cumprod_; }
  double init_noise_sigma() const { return init_noise_sigma_; }
  // Factor applied to the sample before the UNet: 1/sqrt(sigma_i^2 + 1) for
  // the Euler family, 1 otherwise.
  double InputScale(int step) const;
  // Whether Step(step) reads `noise` (Euler ancestral; DDIM with eta > 0;
  // LCM except at the last step).
  bool NeedsNoise(int step) const;
  // Advances `sample` in place from step `step` to the next. `model_output`
  // is the UNet's (guided) output for sample * InputScale(step);
  // `noise` is unit Gaussian noise of the same size when NeedsNoise(step),
  // else may be empty. InvalidArgument (sample unchanged) when `step` is out
  // of range, the sizes differ, or needed noise is missing.
  absl::Status Step(int step, std::span<const float> model_output,
                    std::span<float> sample,
                    std::span<const float> noise) const;

 private:
  Scheduler() = default;
  void StepEuler(int step, std::span<const float> out, std::span<float> x,
                 std::span<const float> noise) const;
  void StepDdim(int step, std::span<const float> out, std::span<float> x,
                std::span<const float> noise) const;
  void StepLcm(int step, std::span<const float> out, std::span<float> x,
               std::span<const float> noise) const;

  SchedulerKind kind_ = SchedulerKind::kEuler;
  SchedulerConfig config_;
  std::vector<double> alphas_cumprod_;
  std::vector<double> timesteps_;
  std::vector<double> sigmas_;
  double init_noise_sigma_ = 1.0;
  double final_alpha_cumprod_ = 1.0;
  bool clip_ = false;
};

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_SCHEDULER_SCHEDULER_H_
