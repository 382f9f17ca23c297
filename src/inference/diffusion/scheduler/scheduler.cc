// SPDX-License-Identifier: Apache-2.0
//
// Formulas (restated from huggingface/diffusers, files named in scheduler.h):
//
// Euler / Euler ancestral timesteps (set_timesteps), T train steps, N steps:
//   linspace: t = linspace(0, T-1, N) reversed (not rounded)
//   leading:  t = round(arange(N) * (T // N)) reversed + steps_offset
//   trailing: t = round(arange(T, 0, -T/N)) - 1
//   sigma(t) = linear interpolation of sigma_t over integer t; then 0 appended.
//   init_noise_sigma = max sigma (linspace, trailing) else sqrt(max^2 + 1).
// Euler step: x0 = x - s*e (epsilon), x*c_skip... (see X0FromSigma);
//   d = (x - x0)/s; x' = x + d*(s_next - s).
// Euler ancestral: s_up = sqrt(s_next^2 (s^2 - s_next^2) / s^2),
//   s_down = sqrt(s_next^2 - s_up^2); x' = x + d*(s_down - s) + noise*s_up.
// DDIM timesteps: linspace: round(linspace(0, T-1, N)) reversed; leading as
//   above; trailing: round(arange(T, 0, -T/N)) - 1. prev t = t - T // N.
//   x0 = (x - sqrt(1-a)e)/sqrt(a); eps as per prediction type;
//   var = (1-a_prev)/(1-a) * (1 - a/a_prev); std = eta*sqrt(var);
//   x' = sqrt(a_prev) x0 + sqrt(1 - a_prev - std^2) eps (+ std*noise).
// LCM timesteps: k = T // orig; origin = [1..orig]*k - 1, reversed; pick
//   floor(linspace(0, orig, N, endpoint=False)). c_skip = sd^2/((10t)^2+sd^2),
//   c_out = 10t/sqrt((10t)^2+sd^2), sd = 0.5, 10 = timestep_scaling;
//   denoised = c_out*x0 + c_skip*x; x' = sqrt(a_prev) denoised +
//   sqrt(1-a_prev) noise, except x' = denoised at the last step.
#include "inference/diffusion/scheduler/scheduler.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion {
namespace {

// np.round: half to even (the default floating-point rounding mode).
double RoundHalfEven(double v) { return std::nearbyint(v); }

absl::Status Unsupported(const std::string& key, const std::string& value,
                         const std::string& allowed) {
  return absl::InvalidArgumentError(
      absl::StrCat("scheduler_config.json: ", key, " = ", value,
                   " is not supported (supported: ", allowed, ")"));
}

// x0 for the Euler family from the model output at noise level s.
double X0FromSigma(PredictionType p, double x, double out, double s) {
  switch (p) {
    case PredictionType::kEpsilon:
      return x - s * out;
    case PredictionType::kVPrediction:
      return out * (-s / std::sqrt(s * s + 1)) + x / (s * s + 1);
    case PredictionType::kSample:
      return out;
  }
  return out;
}

// (x0, eps) for DDIM/LCM from the model output at alpha_cumprod a.
void X0EpsFromAlpha(PredictionType p, double x, double out, double a,
                    double* x0, double* eps) {
  double sa = std::sqrt(a), sb = std::sqrt(1 - a);
  switch (p) {
    case PredictionType::kEpsilon:
      *x0 = (x - sb * out) / sa;
      *eps = out;
      return;
    case PredictionType::kVPrediction:
      *x0 = sa * x - sb * out;
      *eps = sa * out + sb * x;
      return;
    case PredictionType::kSample:
      *x0 = out;
      *eps = (x - sa * out) / sb;
      return;
  }
}

}  // namespace

absl::StatusOr<SchedulerConfig> ParseSchedulerConfig(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("scheduler_config.json is not valid JSON: ", e.what()));
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        "scheduler_config.json is not a JSON object");
  }
  SchedulerConfig c;
  try {
    c.class_name = j.value("_class_name", "");
    bool lcm = c.class_name == "LCMScheduler";
    if (lcm) {  // LCMScheduler's own defaults
      c.beta_start = 0.00085;
      c.beta_end = 0.012;
      c.beta_schedule = "scaled_linear";
    }
    c.num_train_timesteps = j.value("num_train_timesteps", 1000);
    c.beta_start = j.value("beta_start", c.beta_start);
    c.beta_end = j.value("beta_end", c.beta_end);
    c.beta_schedule = j.value("beta_schedule", c.beta_schedule);
    std::string pred = j.value("prediction_type", "epsilon");
    if (pred == "epsilon") {
      c.prediction_type = PredictionType::kEpsilon;
    } else if (pred == "v_prediction") {
      c.prediction_type = PredictionType::kVPrediction;
    } else if (pred == "sample") {
      c.prediction_type = PredictionType::kSample;
    } else {
      return Unsupported("prediction_type", pred,
                         "epsilon, v_prediction, sample");
    }
    if (j.contains("timestep_spacing") && j["timestep_spacing"].is_string()) {
      c.timestep_spacing = j["timestep_spacing"].get<std::string>();
      if (*c.timestep_spacing != "linspace" &&
          *c.timestep_spacing != "leading" &&
          *c.timestep_spacing != "trailing") {
        return Unsupported("timestep_spacing", *c.timestep_spacing,
                           "linspace, leading, trailing");
      }
    }
    c.steps_offset = j.value("steps_offset", 0);
    c.set_alpha_to_one = j.value("set_alpha_to_one", true);
    if (j.contains("clip_sample") && j["clip_sample"].is_boolean()) {
      c.clip_sample = j["clip_sample"].get<bool>();
    }
    c.clip_sample_range = j.value("clip_sample_range", 1.0);
    c.original_inference_steps = j.value("original_inference_steps", 50);
    c.timestep_scaling = j.value("timestep_scaling", 10.0);
    for (const char* key :
         {"use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas",
          "thresholding", "rescale_betas_zero_snr"}) {
      if (j.contains(key) && j[key].is_boolean() && j[key].get<bool>()) {
        return Unsupported(key, "true", "false");
      }
    }
    std::string interp = j.value("interpolation_type", "linear");
    if (interp != "linear") {
      return Unsupported("interpolation_type", interp, "linear");
    }
    if (j.contains("trained_betas") && !j["trained_betas"].is_null()) {
      return Unsupported("trained_betas", "a list", "null");
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scheduler_config.json: a field has the wrong type: ", e.what()));
  }
  if (c.beta_schedule != "linear" && c.beta_schedule != "scaled_linear") {
    return Unsupported("beta_schedule", c.beta_schedule,
                       "linear, scaled_linear");
  }
  if (c.num_train_timesteps < 2 || c.num_train_timesteps > 100000) {
    return Unsupported("num_train_timesteps",
                       std::to_string(c.num_train_timesteps), "2..100000");
  }
  if (c.original_inference_steps < 1 ||
      c.original_inference_steps > c.num_train_timesteps) {
    return Unsupported("original_inference_steps",
                       std::to_string(c.original_inference_steps),
                       "1..num_train_timesteps");
  }
  return c;
}

absl::StatusOr<SchedulerKind> ParseSchedulerKind(const std::string& name) {
  if (name == "euler" || name == "EulerDiscreteScheduler" ||
      name == "PNDMScheduler") {
    return SchedulerKind::kEuler;
  }
  if (name == "euler_a" || name == "EulerAncestralDiscreteScheduler") {
    return SchedulerKind::kEulerAncestral;
  }
  if (name == "ddim" || name == "DDIMScheduler") return SchedulerKind::kDdim;
  if (name == "lcm" || name == "LCMScheduler") return SchedulerKind::kLcm;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown scheduler \"", name, "\" (allowed: euler, euler_a, ddim, lcm)"));
}

const char* SchedulerKindName(SchedulerKind kind) {
  switch (kind) {
    case SchedulerKind::kEuler:
      return "euler";
    case SchedulerKind::kEulerAncestral:
      return "euler_a";
    case SchedulerKind::kDdim:
      return "ddim";
    case SchedulerKind::kLcm:
      return "lcm";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    SchedulerKind kind, const SchedulerConfig& config, int steps) {
  const int T = config.num_train_timesteps;
  const int max_steps =
      kind == SchedulerKind::kLcm ? config.original_inference_steps : T;
  if (steps < 1 || steps > max_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "steps = ", steps, " is out of range for the ", SchedulerKindName(kind),
        " scheduler (1..", max_steps, ")"));
  }
  auto s = std::unique_ptr<Scheduler>(new Scheduler());
  s->kind_ = kind;
  s->config_ = config;
  // Betas and alphas_cumprod.
  double ac = 1.0;
  s->alphas_cumprod_.resize(T);
  for (int i = 0; i < T; ++i) {
    double f = static_cast<double>(i) / (T - 1);
    double beta;
    if (config.beta_schedule == "scaled_linear") {
      double b =
          std::sqrt(config.beta_start) +
          f * (std::sqrt(config.beta_end) - std::sqrt(config.beta_start));
      beta = b * b;
    } else {
      beta = config.beta_start + f * (config.beta_end - config.beta_start);
    }
    ac *= 1.0 - beta;
    s->alphas_cumprod_[i] = ac;
  }
  s->final_alpha_cumprod_ =
      config.set_alpha_to_one ? 1.0 : s->alphas_cumprod_[0];

  const bool euler =
      kind == SchedulerKind::kEuler || kind == SchedulerKind::kEulerAncestral;
  std::string spacing =
      config.timestep_spacing.value_or(euler ? "linspace" : "leading");
  auto& ts = s->timesteps_;
  if (kind == SchedulerKind::kLcm) {
    const int orig = config.original_inference_steps;
    const int k = T / orig;
    for (int i = 0; i < steps; ++i) {
      // origin timesteps reversed: index j holds (orig - j) * k - 1.
      int j =
          static_cast<int>(std::floor(static_cast<double>(i) * orig / steps));
      ts.push_back(static_cast<double>((orig - j) * k - 1));
    }
  } else if (spacing == "linspace") {
    for (int i = steps - 1; i >= 0; --i) {
      double t =
          steps == 1 ? 0.0 : static_cast<double>(i) * (T - 1) / (steps - 1);
      ts.push_back(euler ? t : RoundHalfEven(t));
    }
  } else if (spacing == "leading") {
    const int ratio = T / steps;
    for (int i = steps - 1; i >= 0; --i) {
      ts.push_back(static_cast<double>(i * ratio + config.steps_offset));
    }
  } else {  // trailing
    const double ratio = static_cast<double>(T) / steps;
    for (int i = 0; i < steps; ++i) {
      ts.push_back(RoundHalfEven(T - i * ratio) - 1);
    }
  }

  if (euler) {
    for (double t : ts) {
      double tc = std::clamp(t, 0.0, static_cast<double>(T - 1));
      int lo = static_cast<int>(std::floor(tc));
      int hi = std::min(lo + 1, T - 1);
      auto sig = [&](int i) {
        double a = s->alphas_cumprod_[i];
        return std::sqrt((1 - a) / a);
      };
      s->sigmas_.push_back(sig(lo) + (tc - lo) * (sig(hi) - sig(lo)));
    }
    double max_sigma = *std::max_element(s->sigmas_.begin(), s->sigmas_.end());
    s->sigmas_.push_back(0.0);
    s->init_noise_sigma_ = (spacing == "linspace" || spacing == "trailing")
                               ? max_sigma
                               : std::sqrt(max_sigma * max_sigma + 1);
  }
  s->clip_ = config.clip_sample.value_or(kind == SchedulerKind::kDdim);
  return s;
}

double Scheduler::InputScale(int step) const {
  if (sigmas_.empty()) return 1.0;
  double s = sigmas_[step];
  return 1.0 / std::sqrt(s * s + 1);
}

bool Scheduler::NeedsNoise(int step) const {
  switch (kind_) {
    case SchedulerKind::kEuler:
      return false;
    case SchedulerKind::kEulerAncestral:
      return sigmas_[step + 1] > 0;
    case SchedulerKind::kDdim:
      return config_.eta > 0;
    case SchedulerKind::kLcm:
      return step + 1 < static_cast<int>(timesteps_.size());
  }
  return false;
}

absl::Status Scheduler::Step(int step, std::span<const float> model_output,
                             std::span<float> sample,
                             std::span<const float> noise) const {
  if (step < 0 || step >= static_cast<int>(timesteps_.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scheduler step ", step, " out of range 0..", timesteps_.size() - 1));
  }
  if (model_output.size() != sample.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scheduler step: model output has ", model_output.size(),
                     " values, sample ", sample.size()));
  }
  if (NeedsNoise(step) && noise.size() != sample.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scheduler step ", step, " of ", SchedulerKindName(kind_),
        " needs noise of ", sample.size(), " values, got ", noise.size()));
  }
  switch (kind_) {
    case SchedulerKind::kEuler:
    case SchedulerKind::kEulerAncestral:
      StepEuler(step, model_output, sample, noise);
      break;
    case SchedulerKind::kDdim:
      StepDdim(step, model_output, sample, noise);
      break;
    case SchedulerKind::kLcm:
      StepLcm(step, model_output, sample, noise);
      break;
  }
  return absl::OkStatus();
}

void Scheduler::StepEuler(int step, std::span<const float> out,
                          std::span<float> x,
                          std::span<const float> noise) const {
  const double s = sigmas_[step], s_next = sigmas_[step + 1];
  double target = s_next, s_up = 0;
  if (kind_ == SchedulerKind::kEulerAncestral) {
    s_up = std::sqrt(s_next * s_next * (s * s - s_next * s_next) / (s * s));
    target = std::sqrt(s_next * s_next - s_up * s_up);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    double x0 = X0FromSigma(config_.prediction_type, x[i], out[i], s);
    double d = (x[i] - x0) / s;
    double v = x[i] + d * (target - s);
    if (s_up > 0 && !noise.empty()) v += noise[i] * s_up;
    x[i] = static_cast<float>(v);
  }
}

void Scheduler::StepDdim(int step, std::span<const float> out,
                         std::span<float> x,
                         std::span<const float> noise) const {
  const int T = config_.num_train_timesteps;
  const int t = static_cast<int>(timesteps_[step]);
  const int prev = t - T / static_cast<int>(timesteps_.size());
  const double a = alphas_cumprod_[t];
  const double a_prev =
      prev >= 0 ? alphas_cumprod_[prev] : final_alpha_cumprod_;
  const double var = (1 - a_prev) / (1 - a) * (1 - a / a_prev);
  const double sd = config_.eta * std::sqrt(std::max(var, 0.0));
  const double dir = std::sqrt(std::max(1 - a_prev - sd * sd, 0.0));
  for (size_t i = 0; i < x.size(); ++i) {
    double x0, eps;
    X0EpsFromAlpha(config_.prediction_type, x[i], out[i], a, &x0, &eps);
    if (clip_) {
      x0 =
          std::clamp(x0, -config_.clip_sample_range, config_.clip_sample_range);
    }
    double v = std::sqrt(a_prev) * x0 + dir * eps;
    if (sd > 0 && !noise.empty()) v += sd * noise[i];
    x[i] = static_cast<float>(v);
  }
}

void Scheduler::StepLcm(int step, std::span<const float> out,
                        std::span<float> x,
                        std::span<const float> noise) const {
  const int t = static_cast<int>(timesteps_[step]);
  const bool last = step + 1 >= static_cast<int>(timesteps_.size());
  const int prev = last ? t : static_cast<int>(timesteps_[step + 1]);
  const double a = alphas_cumprod_[t];
  const double a_prev =
      prev >= 0 ? alphas_cumprod_[prev] : final_alpha_cumprod_;
  const double sd2 = 0.25;  // sigma_data^2
  const double st = t * config_.timestep_scaling;
  const double c_skip = sd2 / (st * st + sd2);
  const double c_out = st / std::sqrt(st * st + sd2);
  for (size_t i = 0; i < x.size(); ++i) {
    double x0, eps;
    X0EpsFromAlpha(config_.prediction_type, x[i], out[i], a, &x0, &eps);
    if (clip_) {
      x0 =
          std::clamp(x0, -config_.clip_sample_range, config_.clip_sample_range);
    }
    double denoised = c_out * x0 + c_skip * x[i];
    double v = denoised;
    if (!last) {
      v = std::sqrt(a_prev) * denoised +
          (noise.empty() ? 0.0 : std::sqrt(1 - a_prev) * noise[i]);
    }
    x[i] = static_cast<float>(v);
  }
}

}  // namespace ebb::inference::diffusion
