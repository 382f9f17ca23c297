// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/shapes/world.h"

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

}  // namespace
}  // namespace ebb::inference::diffusion::shapes
