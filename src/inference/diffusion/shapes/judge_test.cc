// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/shapes/judge.h"

#include "gtest/gtest.h"

namespace ebb::inference::diffusion::shapes {
namespace {

// The judge reads the generator's own images (all sizes, positions and
// combinations, held-out ones included) essentially perfectly.
TEST(JudgeTest, ReadsTheGeneratorsOwnImages) {
  Rng rng(7);
  int n = 0, bg = 0, colour = 0, shape = 0;
  for (int i = 0; i < 2000; ++i) {
    Sample s = RandomSample(rng, 32, /*include_held_out=*/true);
    Verdict v = Check(Judge(s.rgb, 32, 32), s.scene);
    ++n;
    bg += v.background;
    colour += v.colour;
    shape += v.shape;
  }
  EXPECT_EQ(bg, n);
  EXPECT_EQ(colour, n);
  EXPECT_GE(shape, n * 99 / 100);
}

TEST(JudgeTest, PlainImageHasNoShape) {
  std::vector<uint8_t> rgb(32 * 32 * 3, 0);
  Reading r = Judge(rgb, 32, 32);
  EXPECT_EQ(r.background, 7);  // black
  EXPECT_EQ(r.colour, -1);
  EXPECT_FALSE(r.shape.has_value());
  EXPECT_FALSE(Check(r, {0, 7, Shape::kCircle, Size::kAny}).shape);
}

}  // namespace
}  // namespace ebb::inference::diffusion::shapes
