// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "gtest/gtest.h"
#include "inference/text_to_image.h"

namespace ebb::inference {
namespace {

Image Gradient(int w, int h) {
  Image img{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    img.pixels[i] = static_cast<uint8_t>(i * 7 % 256);
  }
  return img;
}

TEST(PngTest, EncodeDecodeRoundTripsExactly) {
  const Image img = Gradient(24, 16);
  auto png = EncodePng(img);
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(png->substr(1, 3), "PNG");
  auto back = DecodePng(*png);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->width, 24);
  EXPECT_EQ(back->height, 16);
  EXPECT_EQ(back->pixels, img.pixels);
}

TEST(PngTest, EncodeRejectsInconsistentImages) {
  Image img = Gradient(8, 8);
  img.pixels.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument(EncodePng(img).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(EncodePng(Image{}).status()));
}

TEST(PngTest, DecodeRejectsNonPng) {
  EXPECT_TRUE(absl::IsInvalidArgument(DecodePng("not a png").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodePng("").status()));
  auto png = EncodePng(Gradient(8, 8));
  ASSERT_TRUE(png.ok());
  EXPECT_FALSE(DecodePng(png->substr(0, png->size() / 2)).ok());
}

}  // namespace
}  // namespace ebb::inference
