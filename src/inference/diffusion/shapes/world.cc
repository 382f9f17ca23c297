// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/shapes/world.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ebb::inference::diffusion::shapes {
namespace {

constexpr const char* kColourNames[kNumColours] = {
    "red", "green", "blue", "yellow", "purple", "orange", "white", "black"};
constexpr Rgb kColourValues[kNumColours] = {
    {230, 25, 25},  {20, 170, 40}, {30, 60, 230},   {250, 225, 10},
    {140, 30, 190}, {255, 135, 0}, {245, 245, 245}, {12, 12, 12}};
constexpr const char* kShapeNames[kNumShapes] = {"circle", "square",
                                                 "triangle"};

// Whether (x, y) lies inside the shape.
bool Inside(Shape shape, const Layout& l, double x, double y) {
  const double dx = x - l.cx, dy = y - l.cy;
  switch (shape) {
    case Shape::kCircle:
      return dx * dx + dy * dy <= l.r * l.r;
    case Shape::kSquare: {
      const double h = l.r * 0.88;  // about the circle's area
      return std::abs(dx) <= h && std::abs(dy) <= h;
    }
    case Shape::kTriangle:  // apex up, base at the bottom
      return dy >= -l.r && dy <= l.r && std::abs(dx) <= (dy + l.r) * 0.5;
  }
  return false;
}

// 4x4 supersampled coverage of `shape` at pixel (x, y): 0..16.
int Coverage(Shape shape, const Layout& l, int x, int y) {
  int hits = 0;
  for (int sy = 0; sy < 4; ++sy) {
    for (int sx = 0; sx < 4; ++sx) {
      hits += Inside(shape, l, x + (sx + 0.5) / 4, y + (sy + 0.5) / 4);
    }
  }
  return hits;
}

}  // namespace

const char* ColourName(int colour) { return kColourNames[colour]; }
Rgb ColourValue(int colour) { return kColourValues[colour]; }
const char* ShapeName(Shape shape) {
  return kShapeNames[static_cast<int>(shape)];
}

std::string Caption(const Scene& s, int t) {
  std::string c = ColourName(s.colour);
  if (s.size == Size::kSmall) c = "small " + c;
  if (s.size == Size::kBig) c = (t % 2 == 0 ? "big " : "large ") + c;
  const std::string b = ColourName(s.background);
  const std::string sh = ShapeName(s.shape);
  switch (t) {
    case 0:
      return absl::StrCat("a ", c, " ", sh, " on a ", b, " background");
    case 1:
      return absl::StrCat("a ", c, " ", sh, " on ", b);
    case 2:
      return absl::StrCat(c, " ", sh, ", ", b, " background");
    case 3:
      return absl::StrCat("a ", b, " background with a ", c, " ", sh);
    case 4:
      return absl::StrCat(c, " ", sh, " on ", b);
    case 5:
      return absl::StrCat("a ", c, " ", sh, " against a ", b, " background");
    case 6:
      return absl::StrCat("a picture of a ", c, " ", sh, " on a ", b,
                          " background");
    case 7:
      return absl::StrCat(b, " background, ", c, " ", sh);
    default:
      return absl::StrCat("a ", sh, " in ", c, " on a ", b, " background");
  }
}

bool IsHeldOut(int colour, int background, Shape shape) {
  return (colour + 2 * background + 3 * static_cast<int>(shape)) % 7 == 0;
}

std::vector<Scene> AllCombinations() {
  std::vector<Scene> out;
  for (int c = 0; c < kNumColours; ++c) {
    for (int b = 0; b < kNumColours; ++b) {
      if (b == c) continue;
      for (int s = 0; s < kNumShapes; ++s) {
        out.push_back({c, b, static_cast<Shape>(s), Size::kAny});
      }
    }
  }
  return out;
}

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
int Rng::Below(int n) {
  return static_cast<int>(Uniform() * n);  // n is tiny: bias is negligible
}

Layout RandomLayout(Size size, int width, Rng& rng, double position_jitter) {
  const double unit = width / 32.0;
  Layout l;
  switch (size) {
    case Size::kSmall:
      l.r = rng.Range(5.0, 7.0) * unit;
      break;
    case Size::kBig:
      l.r = rng.Range(11.0, 13.0) * unit;
      break;
    case Size::kAny:
      l.r = rng.Range(6.5, 12.0) * unit;
      break;
  }
  const double c = width / 2.0;
  const double half = std::max(0.0, (width - 2 * l.r - 3 * unit) / 2.0) *
                      std::clamp(position_jitter, 0.0, 1.0);
  // Both draws are made even at jitter 0 so that the data stream's other
  // draws stay aligned across jitter settings.
  l.cx = c + rng.Range(-half, half);
  l.cy = c + rng.Range(-half, half);
  return l;
}

std::vector<uint8_t> Render(const Scene& scene, const Layout& layout, int width,
                            int height) {
  const Rgb fg = ColourValue(scene.colour), bg = ColourValue(scene.background);
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double a = Coverage(scene.shape, layout, x, y) / 16.0;
      uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(std::lround(a * fg.r + (1 - a) * bg.r));
      p[1] = static_cast<uint8_t>(std::lround(a * fg.g + (1 - a) * bg.g));
      p[2] = static_cast<uint8_t>(std::lround(a * fg.b + (1 - a) * bg.b));
    }
  }
  return rgb;
}

std::vector<uint8_t> ShapeDependentPixels(const Layout& layout, int width,
                                          int height) {
  std::vector<uint8_t> out(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int c = Coverage(Shape::kCircle, layout, x, y);
      const int q = Coverage(Shape::kSquare, layout, x, y);
      const int t = Coverage(Shape::kTriangle, layout, x, y);
      out[static_cast<size_t>(y) * width + x] = c != q || q != t;
    }
  }
  return out;
}

Sample RandomSample(Rng& rng, int width, bool include_held_out,
                    double position_jitter) {
  Sample s;
  for (;;) {
    s.scene.colour = rng.Below(kNumColours);
    s.scene.background = rng.Below(kNumColours - 1);
    if (s.scene.background >= s.scene.colour) ++s.scene.background;
    s.scene.shape = static_cast<Shape>(rng.Below(kNumShapes));
    if (include_held_out ||
        !IsHeldOut(s.scene.colour, s.scene.background, s.scene.shape)) {
      break;
    }
  }
  const double u = rng.Uniform();
  s.scene.size = u < 0.15 ? Size::kSmall : u < 0.3 ? Size::kBig : Size::kAny;
  s.caption = Caption(s.scene, rng.Below(kNumTemplates));
  s.layout = RandomLayout(s.scene.size, width, rng, position_jitter);
  s.rgb = Render(s.scene, s.layout, width, width);
  return s;
}

}  // namespace ebb::inference::diffusion::shapes
