// SPDX-License-Identifier: Apache-2.0
#include "inference/sim/sim_text_to_image.h"

#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<SimTextToImage> Loaded(SimOptions options = {}) {
  auto sim = SimTextToImage::Create(std::move(options));
  EXPECT_TRUE(sim.ok()) << sim.status();
  EXPECT_TRUE((*sim)->Load().ok());
  return std::move(*sim);
}

GenerateRequest Req(std::string prompt, uint64_t seed, int w = 128,
                    int h = 96) {
  GenerateRequest r;
  r.prompt = std::move(prompt);
  r.seed = seed;
  r.width = w;
  r.height = h;
  r.steps = 4;
  return r;
}

TEST(SimTextToImageTest, SameRequestGivesSamePixels) {
  auto a = Loaded(), b = Loaded();
  auto x = a->Generate(Req("\"a yellow submarine\"", 42));
  auto y = b->Generate(Req("\"a yellow submarine\"", 42));
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(x->pixels, y->pixels);
}

TEST(SimTextToImageTest, PromptSeedAndSettingsChangeThePicture) {
  auto sim = Loaded();
  const Image base = *sim->Generate(Req("cat", 1));
  EXPECT_NE(sim->Generate(Req("dog", 1))->pixels, base.pixels);
  EXPECT_NE(sim->Generate(Req("cat", 2))->pixels, base.pixels);
  GenerateRequest neg = Req("cat", 1);
  neg.negative_prompt = "blurry";
  EXPECT_NE(sim->Generate(neg)->pixels, base.pixels);
  GenerateRequest vivid = Req("cat", 1);
  vivid.guidance_scale = 20;
  EXPECT_NE(sim->Generate(vivid)->pixels, base.pixels);
}

TEST(SimTextToImageTest, OutputHasTheRequestedShape) {
  auto sim = Loaded();
  auto img = sim->Generate(Req("x", 0, 64, 200));
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->width, 64);
  EXPECT_EQ(img->height, 200);
  EXPECT_EQ(img->pixels.size(), 64u * 200 * 3);
}

TEST(SimTextToImageTest, PictureIsSmoothButNotFlat) {
  auto sim = Loaded();
  const Image img = *sim->Generate(Req("mountains at dawn", 7, 256, 256));
  double neighbour = 0, sum = 0, sum2 = 0;
  const size_t n = img.pixels.size();
  for (size_t i = 0; i < n; ++i) {
    sum += img.pixels[i];
    sum2 += double(img.pixels[i]) * img.pixels[i];
    if (i + 3 < n) neighbour += std::abs(img.pixels[i] - img.pixels[i + 3]);
  }
  const double mean = sum / n;
  const double stddev = std::sqrt(sum2 / n - mean * mean);
  EXPECT_LT(neighbour / n, 8.0) << "white noise, not a picture";
  EXPECT_GT(stddev, 15.0) << "a flat picture";
}

TEST(SimTextToImageTest, SurvivesPngRoundTrip) {
  auto sim = Loaded();
  const Image img = *sim->Generate(Req("lake", 3));
  auto png = EncodePng(img);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(DecodePng(*png)->pixels, img.pixels);
}

TEST(SimTextToImageTest, RejectsSizesOutOfRange) {
  auto sim = Loaded();
  for (auto [w, h] : std::vector<std::pair<int, int>>{
           {63, 64}, {64, 2056}, {100, 64}, {0, 64}, {64, 4096}}) {
    auto s = sim->Generate(Req("x", 0, w, h)).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << w << "x" << h << ": " << s;
  }
}

TEST(SimTextToImageTest, GenerateBeforeLoadFails) {
  auto sim = SimTextToImage::Create({});
  ASSERT_TRUE(sim.ok());
  EXPECT_TRUE(
      absl::IsFailedPrecondition((*sim)->Generate(Req("x", 0)).status()));
}

TEST(SimTextToImageTest, FailPatternInjectsInternalErrors) {
  SimOptions opts;
  opts.fail_pattern = "expl(o|ode)";
  auto sim = Loaded(opts);
  auto s = sim->Generate(Req("please explode now", 0)).status();
  EXPECT_TRUE(absl::IsInternal(s));
  EXPECT_EQ(s.message(), "simulated failure");
  EXPECT_TRUE(sim->Generate(Req("calm sea", 0)).ok());
}

TEST(SimTextToImageTest, InvalidFailPatternIsRejected) {
  SimOptions opts;
  opts.fail_pattern = "(unclosed";
  EXPECT_TRUE(absl::IsInvalidArgument(SimTextToImage::Create(opts).status()));
}

TEST(SimTextToImageTest, SimulatedTimesGoThroughTheSleepHook) {
  std::vector<absl::Duration> slept;
  SimOptions opts;
  opts.load_ms = 1500;
  opts.inference_ms = 250;
  opts.sleep = [&](absl::Duration d) { slept.push_back(d); };
  auto sim = Loaded(opts);
  ASSERT_TRUE(sim->Generate(Req("x", 0)).ok());
  // Load, then the inference time split into the request's 4 steps.
  EXPECT_EQ(slept, (std::vector<absl::Duration>{
                       absl::Milliseconds(1500), absl::Milliseconds(63),
                       absl::Milliseconds(63), absl::Milliseconds(62),
                       absl::Milliseconds(62)}));
  EXPECT_EQ(sim->ModelName(), "ebb-sim");
}

TEST(SimTextToImageTest, InferenceTimeIsSplitIntoReportedSteps) {
  std::vector<std::string> events;
  SimOptions opts;
  opts.inference_ms = 10;
  opts.sleep = [&](absl::Duration d) {
    events.push_back(absl::FormatDuration(d));
  };
  auto sim = Loaded(opts);
  GenerateRequest r = Req("x", 0);
  r.steps = 4;
  r.on_step = [&](const StepProgress& p) {
    events.push_back(absl::StrCat(p.step, "/", p.steps));
    return StepAction::kContinue;
  };
  ASSERT_TRUE(sim->Generate(r).ok());
  EXPECT_EQ(events, (std::vector<std::string>{"3ms", "1/4", "3ms", "2/4", "2ms",
                                              "3/4", "2ms", "4/4"}));
}

TEST(SimTextToImageTest, StopFromTheCallbackCancelsBeforeTheNextStep) {
  int sleeps = 0;
  SimOptions opts;
  opts.inference_ms = 1000;
  opts.sleep = [&](absl::Duration) { ++sleeps; };
  auto sim = Loaded(opts);
  GenerateRequest r = Req("x", 0);
  r.steps = 10;
  r.on_step = [](const StepProgress& p) {
    return p.step == 3 ? StepAction::kStop : StepAction::kContinue;
  };
  auto image = sim->Generate(r);
  EXPECT_TRUE(absl::IsCancelled(image.status())) << image.status();
  EXPECT_THAT(image.status().message(), HasSubstr("step 3 of 10"));
  EXPECT_EQ(sleeps, 3);
  r.on_step = nullptr;
  EXPECT_TRUE(sim->Generate(r).ok());  // the model is usable again
}

TEST(SimTextToImageTest, OptionsFromEnvironment) {
  ::setenv("EBB_SIM_LOAD_MS", "1200", 1);
  ::setenv("EBB_SIM_INFERENCE_MS", "30", 1);
  ::setenv("EBB_SIM_FAIL_PATTERN", "boom", 1);
  auto opts = SimOptionsFromEnv();
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->load_ms, 1200);
  EXPECT_EQ(opts->inference_ms, 30);
  EXPECT_EQ(opts->fail_pattern, "boom");
  ::setenv("EBB_SIM_LOAD_MS", "-5", 1);
  auto bad = SimOptionsFromEnv();
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("EBB_SIM_LOAD_MS"));
  ::unsetenv("EBB_SIM_LOAD_MS");
  ::unsetenv("EBB_SIM_INFERENCE_MS");
  ::unsetenv("EBB_SIM_FAIL_PATTERN");
  EXPECT_EQ(SimOptionsFromEnv()->load_ms, 0);
}

}  // namespace
}  // namespace ebb::inference
