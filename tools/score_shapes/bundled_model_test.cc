// SPDX-License-Identifier: Apache-2.0
//
// The committed model (models/ebb-shapes) through the ordinary pipeline: it
// follows its prompts on a small fixed caption set, it is deterministic per
// seed, and it answers any prompt with an image. Plus the scorer's own
// self-check on the synthetic generator's images.
#include <ATen/Parallel.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "inference/text_to_image.h"
#include "tools/score_shapes/score.h"

namespace ebb::tools::score_shapes {
namespace {

namespace fs = std::filesystem;
namespace diff = ::ebb::inference::diffusion;

// Thresholds asserted on the fixed set below (18 images, the model's
// defaults: 20 DDIM steps, guidance 1). The committed model (3,000 steps, see
// models/ebb-shapes/README.md) measured 100 / 100 / 100 % on the trained
// combinations and 100 / 100 / 83 % (5 of 6) on the held-out ones here. The
// floors are the targets (95 / 90 / 80 %, held-out 10 points lower)
// less one image's worth, a margin for other CPUs' float rounding.
constexpr double kMinBackground = 90, kMinColour = 85, kMinShape = 75;
constexpr double kMinHeldBackground = 80, kMinHeldColour = 75,
                 kMinHeldShape = 66;

class BundledModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One thread: ctest runs two tests at once, and libtorch's OpenMP
    // threads spin-wait, so two of them beside other busy processes ran this
    // suite 10x slower (a 300 s timeout with two CPU hogs beside the suite).
    at::set_num_threads(1);
    auto p = diff::Pipeline::Load(EBB_BUNDLED_MODEL);
    ASSERT_TRUE(p.ok()) << p.status();
    pipeline_ = p->release();
  }
  static void TearDownTestSuite() {
    delete pipeline_;
    pipeline_ = nullptr;
  }
  static diff::PipelineRequest Base() {
    const ModelDefaults d = ReadDefaults(EBB_BUNDLED_MODEL);
    diff::PipelineRequest r;
    r.width = d.width;
    r.height = d.height;
    r.steps = d.steps;
    r.guidance_scale = d.guidance;
    return r;
  }
  static diff::Pipeline* pipeline_;
};
diff::Pipeline* BundledModelTest::pipeline_ = nullptr;

TEST_F(BundledModelTest, FolderIsSmallAndDeclaresItsNativeSize) {
  uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(EBB_BUNDLED_MODEL)) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  EXPECT_LE(bytes, 32u << 20);
  const ModelDefaults d = ReadDefaults(EBB_BUNDLED_MODEL);
  EXPECT_EQ(d.width, 32);
  EXPECT_EQ(d.height, 32);
  EXPECT_GT(d.steps, 0);
  EXPECT_FALSE(fs::exists(fs::path(EBB_BUNDLED_MODEL) / "vae"));
  EXPECT_TRUE(fs::exists(fs::path(EBB_BUNDLED_MODEL) / "tokenizer/LICENSE"));
}

TEST_F(BundledModelTest, FollowsPromptsOnAFixedCaptionSet) {
  ASSERT_NE(pipeline_, nullptr);
  auto report = Score(*pipeline_, MakeCases(12, 6, 42), Base());
  ASSERT_TRUE(report.ok()) << report.status();
  const Rates& s = report->seen;
  const Rates& h = report->held_out;
  SCOPED_TRACE(FormatReport(*report));
  EXPECT_GE(s.Rate(s.background), kMinBackground);
  EXPECT_GE(s.Rate(s.colour), kMinColour);
  EXPECT_GE(s.Rate(s.shape), kMinShape);
  EXPECT_GE(h.Rate(h.background), kMinHeldBackground);
  EXPECT_GE(h.Rate(h.colour), kMinHeldColour);
  EXPECT_GE(h.Rate(h.shape), kMinHeldShape);
}

TEST_F(BundledModelTest, SameRequestSamePngOtherSeedOtherImage) {
  ASSERT_NE(pipeline_, nullptr);
  auto png = [&](uint64_t seed) -> std::string {
    auto r = Base();
    r.prompt = "a yellow triangle on a purple background";
    r.seed = seed;
    auto out = pipeline_->Generate(r, {});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    inference::Image img;
    img.width = out->width;
    img.height = out->height;
    img.pixels = out->rgb;
    auto bytes = inference::EncodePng(img);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? *bytes : "";
  };
  const std::string a = png(5), b = png(5), c = png(6);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_F(BundledModelTest, AnyPromptStillYieldsAnImage) {
  ASSERT_NE(pipeline_, nullptr);
  for (const char* prompt :
       {"", "a photo of an astronaut riding a horse", "🙂 ÿ \t 123"}) {
    auto r = Base();
    r.prompt = prompt;
    auto out = pipeline_->Generate(r, {});
    ASSERT_TRUE(out.ok()) << prompt << ": " << out.status();
    EXPECT_EQ(out->rgb.size(), 32u * 32 * 3);
  }
}

TEST(ScorerTest, JudgesTheGeneratorsOwnImagesRight) {
  Report r = ScoreGenerator(MakeCases(300, 100, 3), 32);
  EXPECT_EQ(r.seen.n, 300);
  EXPECT_EQ(r.held_out.n, 100);
  EXPECT_EQ(r.seen.background, 300);
  EXPECT_EQ(r.seen.colour, 300);
  EXPECT_GE(r.seen.shape, 297);
  EXPECT_EQ(r.held_out.colour, 100);
  EXPECT_GE(r.held_out.shape, 99);
}

TEST(ScorerTest, CasesAreFixedAndHeldOutOnesAreHeldOut) {
  auto a = MakeCases(10, 5, 1), b = MakeCases(10, 5, 1);
  ASSERT_EQ(a.size(), 15u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].caption, b[i].caption);
    EXPECT_EQ(a[i].seed, b[i].seed);
    EXPECT_EQ(a[i].held_out,
              shapes::IsHeldOut(a[i].scene.colour, a[i].scene.background,
                                a[i].scene.shape));
  }
}

}  // namespace
}  // namespace ebb::tools::score_shapes
