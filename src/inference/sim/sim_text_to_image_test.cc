// SPDX-License-Identifier: Apache-2.0
#include "inference/sim/sim_text_to_image.h"

#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <vector>

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
  EXPECT_EQ(slept, (std::vector<absl::Duration>{absl::Milliseconds(1500),
                                                absl::Milliseconds(250)}));
  EXPECT_EQ(sim->ModelName(), "ebb-sim");
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
