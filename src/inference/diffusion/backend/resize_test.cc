// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/resize.h"

#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

TEST(ResizeBilinearTest, UniformImageStaysUniformAtTheNewSize) {
  std::vector<uint8_t> src(8 * 8 * 3);
  for (size_t i = 0; i < src.size(); ++i) src[i] = i % 3 == 0 ? 200 : 17;
  auto out = ResizeBilinear(src, 8, 8, 24, 16);
  ASSERT_EQ(out.size(), 24u * 16 * 3);
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i], i % 3 == 0 ? 200 : 17) << i;
  }
}

TEST(ResizeBilinearTest, DoublingInterpolatesBetweenPixelCentres) {
  // One row of two pixels, 0 and 100 (grey): doubled to 4 pixels the centres
  // fall at source x = -0.25 (clamped: 0), 0.25, 0.75, 1.25 (clamped: 1).
  std::vector<uint8_t> src = {0, 0, 0, 100, 100, 100};
  auto out = ResizeBilinear(src, 2, 1, 4, 1);
  ASSERT_EQ(out.size(), 12u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[3], 25);
  EXPECT_EQ(out[6], 75);
  EXPECT_EQ(out[9], 100);
}

TEST(ResizeBilinearTest, SameSizeIsIdentityAndBadInputIsEmpty) {
  std::vector<uint8_t> src(4 * 2 * 3);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 9);
  EXPECT_EQ(ResizeBilinear(src, 4, 2, 4, 2), src);
  EXPECT_TRUE(ResizeBilinear(src, 4, 3, 8, 8).empty());
  EXPECT_TRUE(ResizeBilinear(src, 4, 2, 0, 8).empty());
}

}  // namespace
}  // namespace ebb::inference::diffusion
