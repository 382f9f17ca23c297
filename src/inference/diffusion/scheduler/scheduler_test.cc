// SPDX-License-Identifier: Apache-2.0
//
// Expected numbers were computed from the published formulas (restated at the
// top of scheduler.cc, after huggingface/diffusers' scheduling_*.py) by a
// separate few-line Python script using only `math`, not from this code.
#include "inference/diffusion/scheduler/scheduler.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Stable Diffusion's scheduler_config.json (SD 1.5 values; sd-turbo adds
// timestep_spacing "trailing").
SchedulerConfig Sd(const char* spacing = nullptr) {
  std::string json = R"({"_class_name": "EulerDiscreteScheduler",
    "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000, "prediction_type": "epsilon",
    "set_alpha_to_one": false, "steps_offset": 1, "clip_sample": false,
    "interpolation_type": "linear", "use_karras_sigmas": false)";
  if (spacing)
    json += std::string(R"(, "timestep_spacing": ")") + spacing + "\"";
  auto c = ParseSchedulerConfig(json + "}");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::unique_ptr<Scheduler> Make(SchedulerKind kind, const SchedulerConfig& c,
                                int steps) {
  auto s = Scheduler::Create(kind, c, steps);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want,
                double rel = 1e-9) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::abs(want[i]))) << i;
  }
}

const std::vector<float> kX = {1.0f, -0.5f, 0.25f};
const std::vector<float> kOut = {0.1f, 0.2f, -0.3f};
const std::vector<float> kNoise = {0.5f, -1.0f, 2.0f};

std::vector<double> StepOnce(const Scheduler& s, int step,
                             std::vector<float> x = kX) {
  bool noise = s.NeedsNoise(step);
  EXPECT_TRUE(
      s.Step(step, kOut, x, noise ? kNoise : std::vector<float>{}).ok());
  return std::vector<double>(x.begin(), x.end());
}

TEST(SchedulerTest, ScaledLinearSigmaRange) {
  auto s = Make(SchedulerKind::kEuler, Sd("trailing"), 1);
  const auto& ac = s->alphas_cumprod();
  ASSERT_EQ(ac.size(), 1000u);
  EXPECT_NEAR(ac[0], 0.99915, 1e-12);
  EXPECT_NEAR(ac[999], 0.0046600985130772358, 1e-15);
  EXPECT_NEAR(std::sqrt((1 - ac[999]) / ac[999]), 14.614641229333643, 1e-9);
  EXPECT_NEAR(std::sqrt((1 - ac[0]) / ac[0]), 0.029167158151720367, 1e-12);
}

TEST(SchedulerTest, EulerTrailingIsSdTurbosOneStep) {
  auto s = Make(SchedulerKind::kEuler, Sd("trailing"), 1);
  EXPECT_THAT(s->timesteps(), ElementsAre(999));
  ExpectNear(s->sigmas(), {14.614641229333643, 0});
  EXPECT_NEAR(s->init_noise_sigma(), 14.614641229333643, 1e-9);
  EXPECT_NEAR(s->InputScale(0), 0.06826, 1e-5);
  // One step to sigma 0 returns x0 = x - sigma * eps.
  std::vector<float> x = kX;
  ASSERT_TRUE(s->Step(0, kOut, x, {}).ok());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(x[i], kX[i] - 14.614641229333643 * kOut[i], 1e-5);
  }
}

TEST(SchedulerTest, EulerSpacings) {
  auto trailing = Make(SchedulerKind::kEuler, Sd("trailing"), 4);
  EXPECT_THAT(trailing->timesteps(), ElementsAre(999, 749, 499, 249));
  ExpectNear(trailing->sigmas(), {14.614641229333643, 4.0817293637243086,
                                  1.6128861943038759, 0.69320489963868848, 0});

  auto leading = Make(SchedulerKind::kEuler, Sd("leading"), 4);
  EXPECT_THAT(leading->timesteps(), ElementsAre(751, 501, 251, 1));
  ExpectNear(leading->sigmas(), {4.1166964792760661, 1.6236920815158631,
                                 0.69839809116303342, 0.041314411996783089, 0});
  EXPECT_NEAR(leading->init_noise_sigma(),
              std::sqrt(4.1166964792760661 * 4.1166964792760661 + 1), 1e-9);

  auto linspace = Make(SchedulerKind::kEuler, Sd("linspace"), 3);
  ExpectNear(linspace->timesteps(), {999, 499.5, 0});  // not rounded
  ExpectNear(linspace->sigmas(),
             {14.614641229333643, 1.6155825101612464, 0.029167158151720367, 0});
  // No spacing in the file: Euler's default is linspace.
  EXPECT_EQ(Make(SchedulerKind::kEuler, Sd(), 3)->timesteps(),
            linspace->timesteps());
}

TEST(SchedulerTest, EulerStepOnKnownTensor) {
  auto s = Make(SchedulerKind::kEuler, Sd("trailing"), 2);
  EXPECT_FALSE(s->NeedsNoise(0));
  ExpectNear(StepOnce(*s, 0), {-0.300175504, -3.10035101, 4.15052651}, 1e-6);
}

TEST(SchedulerTest, EulerVPredictionStep) {
  SchedulerConfig c = Sd("trailing");
  c.prediction_type = PredictionType::kVPrediction;
  auto s = Make(SchedulerKind::kEuler, c, 2);
  ExpectNear(StepOnce(*s, 0), {0.0257504207, -0.234766133, 0.294895805}, 1e-6);
}

TEST(SchedulerTest, EulerAncestralStepAddsNoiseExceptAtTheEnd) {
  auto s = Make(SchedulerKind::kEulerAncestral, Sd("trailing"), 2);
  EXPECT_TRUE(s->NeedsNoise(0));
  EXPECT_FALSE(s->NeedsNoise(1));  // sigma_next = 0: no noise
  ExpectNear(StepOnce(*s, 0), {0.357852844, -4.9903623, 7.78706044}, 1e-6);
  std::vector<float> x = kX;
  EXPECT_THAT(std::string(s->Step(0, kOut, x, {}).message()),
              HasSubstr("needs noise"));
  EXPECT_EQ(x, kX);
}

TEST(SchedulerTest, DdimTimestepsAndSteps) {
  auto leading = Make(SchedulerKind::kDdim, Sd("leading"), 4);
  EXPECT_THAT(leading->timesteps(), ElementsAre(751, 501, 251, 1));
  EXPECT_EQ(leading->init_noise_sigma(), 1.0);
  EXPECT_EQ(leading->InputScale(0), 1.0);
  EXPECT_TRUE(leading->sigmas().empty());
  ExpectNear(StepOnce(*leading, 0), {2.0908556, -1.37226288, 0.947599502},
             1e-6);
  // Last step: a_prev is alphas_cumprod[0] as set_alpha_to_one is false.
  ExpectNear(StepOnce(*leading, 3), {0.999213414, -0.50264223, 0.253749533},
             1e-6);
  // linspace rounds half to even (499.5 -> 500); trailing as Euler.
  EXPECT_THAT(Make(SchedulerKind::kDdim, Sd("linspace"), 3)->timesteps(),
              ElementsAre(999, 500, 0));
  EXPECT_THAT(Make(SchedulerKind::kDdim, Sd("trailing"), 4)->timesteps(),
              ElementsAre(999, 749, 499, 249));
  // No spacing in the file: DDIM's default is leading.
  EXPECT_THAT(Make(SchedulerKind::kDdim, Sd(), 4)->timesteps(),
              ElementsAre(751, 501, 251, 1));
}

TEST(SchedulerTest, DdimWithEtaUsesNoise) {
  SchedulerConfig c = Sd("leading");
  c.eta = 1.0;
  auto s = Make(SchedulerKind::kDdim, c, 4);
  EXPECT_TRUE(s->NeedsNoise(0));
  ExpectNear(StepOnce(*s, 0), {2.43051337, -2.25783294, 2.667176}, 1e-6);
}

TEST(SchedulerTest, LcmTimestepsAndSteps) {
  auto s = Make(SchedulerKind::kLcm, Sd(), 4);
  EXPECT_THAT(s->timesteps(), ElementsAre(999, 759, 499, 259));
  EXPECT_THAT(Make(SchedulerKind::kLcm, Sd(), 1)->timesteps(),
              ElementsAre(999));
  EXPECT_TRUE(s->NeedsNoise(0));
  EXPECT_FALSE(s->NeedsNoise(3));
  ExpectNear(StepOnce(*s, 0), {3.50010069, -3.31507482, 3.7857462}, 1e-6);
  ExpectNear(StepOnce(*s, 3), {1.15993341, -0.759811607, 0.523781725}, 1e-6);
  EXPECT_FALSE(Scheduler::Create(SchedulerKind::kLcm, Sd(), 51).ok());
}

TEST(SchedulerTest, ConfigDefaultsAndRefusals) {
  auto plain = ParseSchedulerConfig("{}");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->beta_schedule, "linear");
  // linspace(0, 999, 1) is [0] in numpy: one linspace step starts at t = 0.
  EXPECT_THAT(Make(SchedulerKind::kEuler, *plain, 1)->timesteps(),
              ElementsAre(0));
  plain->timestep_spacing = "trailing";
  auto s = Make(SchedulerKind::kEuler, *plain, 1);
  EXPECT_NEAR(s->sigmas()[0], 157.40728081040757, 1e-7);

  auto lcm = ParseSchedulerConfig(R"({"_class_name": "LCMScheduler"})");
  ASSERT_TRUE(lcm.ok());
  EXPECT_EQ(lcm->beta_schedule, "scaled_linear");

  for (const char* bad :
       {R"({"use_karras_sigmas": true})", R"({"prediction_type": "flow"})",
        R"({"timestep_spacing": "karras"})",
        R"({"beta_schedule": "squaredcos_cap_v2"})",
        R"({"thresholding": true})", R"({"beta_start": "x"})", "[1]", "{"}) {
    auto c = ParseSchedulerConfig(bad);
    EXPECT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(ParseSchedulerConfig(R"({"use_karras_sigmas": true})")
                              .status()
                              .message()),
              HasSubstr("use_karras_sigmas"));
  EXPECT_FALSE(Scheduler::Create(SchedulerKind::kEuler, Sd(), 0).ok());
  EXPECT_FALSE(Scheduler::Create(SchedulerKind::kEuler, Sd(), 1001).ok());
}

TEST(SchedulerTest, KindNames) {
  EXPECT_EQ(*ParseSchedulerKind("euler_a"), SchedulerKind::kEulerAncestral);
  EXPECT_EQ(*ParseSchedulerKind("EulerDiscreteScheduler"),
            SchedulerKind::kEuler);
  EXPECT_EQ(*ParseSchedulerKind("PNDMScheduler"), SchedulerKind::kEuler);
  EXPECT_EQ(*ParseSchedulerKind("DDIMScheduler"), SchedulerKind::kDdim);
  EXPECT_EQ(*ParseSchedulerKind("lcm"), SchedulerKind::kLcm);
  auto bad = ParseSchedulerKind("dpm++");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("euler, euler_a"));
  EXPECT_STREQ(SchedulerKindName(SchedulerKind::kDdim), "ddim");
}

TEST(SchedulerTest, StepRejectsMismatchedSizes) {
  auto s = Make(SchedulerKind::kEuler, Sd("trailing"), 2);
  std::vector<float> x = {1, 2};
  EXPECT_FALSE(s->Step(0, kOut, x, {}).ok());
  EXPECT_FALSE(s->Step(2, kOut, x, {}).ok());
}

}  // namespace
}  // namespace ebb::inference::diffusion
