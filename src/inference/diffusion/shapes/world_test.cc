// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/shapes/world.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace ebb::inference::diffusion::shapes {
namespace {

TEST(WorldTest, CanonicalCaptionAndVariations) {
  Scene s{0, 2, Shape::kCircle, Size::kAny};
  EXPECT_EQ(Caption(s, 0), "a red circle on a blue background");
  EXPECT_EQ(Caption(s, 1), "a red circle on blue");
  EXPECT_EQ(Caption(s, 2), "red circle, blue background");
  s.size = Size::kBig;
  EXPECT_EQ(Caption(s, 1), "a large red circle on blue");
  EXPECT_EQ(Caption(s, 4), "big red circle on blue");
}

TEST(WorldTest, HoldsOutAtLeastTwentyCombinationsAndKeepsEveryPair) {
  int held = 0;
  std::set<std::pair<int, int>> colour_bg, colour_shape, bg_shape;
  for (const Scene& s : AllCombinations()) {
    const int sh = static_cast<int>(s.shape);
    if (IsHeldOut(s.colour, s.background, s.shape)) {
      ++held;
      continue;
    }
    colour_bg.insert({s.colour, s.background});
    colour_shape.insert({s.colour, sh});
    bg_shape.insert({s.background, sh});
  }
  EXPECT_EQ(AllCombinations().size(), 168u);
  EXPECT_GE(held, 20);
  EXPECT_EQ(colour_bg.size(), 56u);
  EXPECT_EQ(colour_shape.size(), 24u);
  EXPECT_EQ(bg_shape.size(), 24u);
}

TEST(WorldTest, SamplesAreDeterministicAndNeverHeldOut) {
  Rng a(42), b(42);
  for (int i = 0; i < 200; ++i) {
    Sample x = RandomSample(a, 32), y = RandomSample(b, 32);
    EXPECT_EQ(x.caption, y.caption);
    EXPECT_EQ(x.rgb, y.rgb);
    EXPECT_NE(x.scene.colour, x.scene.background);
    EXPECT_FALSE(IsHeldOut(x.scene.colour, x.scene.background, x.scene.shape));
    EXPECT_EQ(x.rgb.size(), 32u * 32 * 3);
  }
}

TEST(WorldTest, PositionJitterScalesTheCentresRange) {
  Rng r(7);
  double spread_full = 0;
  for (int i = 0; i < 200; ++i) {
    const Layout centred = RandomLayout(Size::kAny, 32, r, 0.0);
    EXPECT_DOUBLE_EQ(centred.cx, 16.0);
    EXPECT_DOUBLE_EQ(centred.cy, 16.0);
    const Layout anywhere = RandomLayout(Size::kAny, 32, r, 1.0);
    // The shape fits with its 1.5-pixel margin.
    EXPECT_GE(anywhere.cx - anywhere.r, 1.5 - 1e-9);
    EXPECT_LE(anywhere.cx + anywhere.r, 32 - 1.5 + 1e-9);
    spread_full = std::max(spread_full, std::abs(anywhere.cx - 16.0));
  }
  EXPECT_GT(spread_full, 3.0);
}

TEST(WorldTest, ShapeDependentPixelsAreWhereTheShapesDiffer) {
  Layout l;  // centred, half extent 9
  const std::vector<uint8_t> dep = ShapeDependentPixels(l, 32, 32);
  ASSERT_EQ(dep.size(), 32u * 32);
  EXPECT_EQ(dep[16 * 32 + 16], 0);  // the centre: inside all three
  EXPECT_EQ(dep[0], 0);             // a corner: outside all three
  // The square's corner lies outside the circle and the triangle.
  EXPECT_EQ(dep[(16 - 7) * 32 + (16 - 7)], 1);
  int n = 0;
  for (uint8_t d : dep) n += d;
  EXPECT_GT(n, 50);
  EXPECT_LT(n, 400);
}

}  // namespace
}  // namespace ebb::inference::diffusion::shapes
