// SPDX-License-Identifier: Apache-2.0
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "inference/text_to_image.h"

namespace ebb::inference {
namespace {

Image Gradient(int w, int h) {
  Image img{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3), {}};
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

// Noise does not compress: the encoder's one buffer, sized by libpng's upper
// bound, must still hold it (odd sizes, so rows are not aligned).
TEST(PngTest, IncompressibleNoiseRoundTrips) {
  Image img{97, 61, std::vector<uint8_t>(97 * 61 * 3), {}};
  std::mt19937 rng(5);
  for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(rng());
  auto png = EncodePng(img);
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_GT(png->size(), img.pixels.size());
  auto back = DecodePng(*png);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pixels, img.pixels);
}

// A libpng error (here its default width limit of 1,000,000) comes back as
// a status with libpng's message, not a crash.
TEST(PngTest, EncodeReportsLibpngErrors) {
  Image wide{2'000'000, 1, std::vector<uint8_t>(6'000'000), {}};
  auto png = EncodePng(wide);
  ASSERT_FALSE(png.ok());
  EXPECT_TRUE(absl::IsInternal(png.status())) << png.status();
  EXPECT_NE(png.status().message().find("width"), std::string::npos)
      << png.status();
  EXPECT_TRUE(EncodePng(Gradient(8, 8)).ok());  // and the next one works
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
