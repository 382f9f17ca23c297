// SPDX-License-Identifier: Apache-2.0
// RenderSimImage: the procedural landscape behind SimTextToImage. Everything
// derives from integer hashes and IEEE double arithmetic, so a request renders
// to the same bytes every time.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/ids.h"
#include "inference/sim/sim_text_to_image.h"

namespace ebb::inference {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double ToUnit(uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double Uniform() { return ToUnit(Mix(state_++)); }
  double Range(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

 private:
  uint64_t state_;
};

struct Rgb {
  double r = 0, g = 0, b = 0;
};

Rgb Lerp(const Rgb& a, const Rgb& b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

// Hue in degrees (any value), saturation and value in [0, 1].
Rgb Hsv(double h, double s, double v) {
  h = std::fmod(h, 360.0);
  if (h < 0) h += 360.0;
  const double c = v * s;
  const double x = c * (1 - std::fabs(std::fmod(h / 60.0, 2.0) - 1));
  const double m = v - c;
  Rgb out;
  switch (static_cast<int>(h / 60.0) % 6) {
    case 0:
      out = {c, x, 0};
      break;
    case 1:
      out = {x, c, 0};
      break;
    case 2:
      out = {0, c, x};
      break;
    case 3:
      out = {0, x, c};
      break;
    case 4:
      out = {x, 0, c};
      break;
    default:
      out = {c, 0, x};
      break;
  }
  return {out.r + m, out.g + m, out.b + m};
}

double SmoothStep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

double Lattice(int64_t ix, int64_t iy, uint64_t salt) {
  return ToUnit(Mix(salt ^ Mix(static_cast<uint64_t>(ix) * 0x9e3779b1ULL ^
                               Mix(static_cast<uint64_t>(iy)))));
}

// Smooth value noise in [0, 1).
double ValueNoise(double x, double y, uint64_t salt) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const double tx = SmoothStep(0, 1, x - fx), ty = SmoothStep(0, 1, y - fy);
  const double a = Lattice(ix, iy, salt), b = Lattice(ix + 1, iy, salt);
  const double c = Lattice(ix, iy + 1, salt), d = Lattice(ix + 1, iy + 1, salt);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

// Fractal sum of `octaves` layers of value noise, normalised to [0, 1).
double Fbm(double x, double y, int octaves, uint64_t salt) {
  double sum = 0, amp = 0.5, norm = 0;
  for (int i = 0; i < octaves; ++i) {
    sum += amp * ValueNoise(x, y, salt + static_cast<uint64_t>(i) * 7919);
    norm += amp;
    x *= 2.03;
    y *= 2.03;
    amp *= 0.5;
  }
  return sum / norm;
}

uint8_t ToByte(double v) {
  return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

}  // namespace

Image RenderSimImage(const GenerateRequest& request) {
  const int w = std::max(1, request.width), h = std::max(1, request.height);
  const uint64_t theme = Mix(StableHash(request.prompt));
  const uint64_t texture = Mix(StableHash(request.negative_prompt) ^ theme);
  Rng rng(Mix(request.seed ^ 0x5eedULL) ^ theme);

  // Palette and composition from the prompt.
  const double hue = static_cast<double>(theme % 360);
  const int scheme = static_cast<int>((theme >> 9) % 3);
  const double accent = hue + (scheme == 0   ? 35.0
                               : scheme == 1 ? 180.0
                                             : 120.0);
  const bool dusk = (theme >> 12) % 4 == 0;
  const int layers = 2 + static_cast<int>((theme >> 16) % 3);
  const double roughness =
      1.5 + static_cast<double>((theme >> 20) % 100) / 40.0;

  const Rgb sky_top = Hsv(hue + 200, dusk ? 0.65 : 0.55, dusk ? 0.22 : 0.55);
  const Rgb sky_low = Hsv(accent, dusk ? 0.55 : 0.35, dusk ? 0.85 : 0.97);
  const Rgb sun = Hsv(accent + 15, dusk ? 0.25 : 0.45, 1.0);
  const Rgb cloud = Lerp(Hsv(accent, 0.15, 1.0), sky_low, dusk ? 0.5 : 0.2);
  std::vector<Rgb> hill(layers);
  for (int l = 0; l < layers; ++l) {
    const double depth = static_cast<double>(l) / layers;  // 0 = far
    hill[l] = Hsv(hue + 10 + 25 * l, 0.45 + 0.2 * depth,
                  (dusk ? 0.45 : 0.7) - 0.45 * depth);
  }

  // Layout from the seed.
  const double aspect = static_cast<double>(w) / h;
  const double sun_x = rng.Range(0.15, 0.85) * aspect;
  const double sun_y = rng.Range(0.12, 0.38);
  const double sun_r = rng.Range(0.05, 0.11);
  const double cloud_ox = rng.Range(0, 1000), cloud_oy = rng.Range(0, 1000);
  std::vector<double> ridge_off(layers);
  for (double& o : ridge_off) o = rng.Range(0, 1000);

  // Detail from steps; contrast and saturation from guidance.
  const int octaves = std::clamp(
      2 + static_cast<int>(std::log2(std::max(1, request.steps))), 2, 7);
  const double g = std::clamp(request.guidance_scale, 0.0, 30.0);
  const double saturation = 0.75 + 0.5 * g / (g + 5);
  const double contrast = 0.9 + 0.3 * g / (g + 5);

  // Ridge heights depend only on the column: precompute them.
  std::vector<double> ridge(static_cast<size_t>(layers) * w);
  for (int l = 0; l < layers; ++l) {
    const double base = 0.58 + 0.3 * l / layers;
    const double amp = 0.10 + 0.05 * l;
    for (int px = 0; px < w; ++px) {
      const double x = (px + 0.5) / h;
      ridge[static_cast<size_t>(l) * w + px] =
          base - amp * Fbm(x * roughness * (1 + 0.6 * l) + ridge_off[l],
                           l * 17.0, octaves, theme + l);
    }
  }

  Image image;
  image.width = w;
  image.height = h;
  image.pixels.resize(static_cast<size_t>(w) * h * 3);
  uint8_t* out = image.pixels.data();
  for (int py = 0; py < h; ++py) {
    const double y = (py + 0.5) / h;
    for (int px = 0; px < w; ++px) {
      const double x = (px + 0.5) / h;
      Rgb c = Lerp(sky_top, sky_low, std::pow(std::min(y / 0.7, 1.0), 0.8));
      const double d = std::hypot(x - sun_x, y - sun_y);
      c = Lerp(c, sun, 0.55 * std::exp(-std::pow(d / (sun_r * 3), 2)));
      c = Lerp(c, sun, SmoothStep(sun_r, sun_r * 0.92, d));
      const double cl =
          Fbm(x * 2.5 + cloud_ox, y * 6 + cloud_oy, octaves, texture);
      c = Lerp(c, cloud, 0.75 * SmoothStep(0.52, 0.72, cl) * (1 - y));
      for (int l = 0; l < layers; ++l) {
        const double top = ridge[static_cast<size_t>(l) * w + px];
        if (y < top) continue;
        const double below = (y - top) * 4;
        Rgb hc = Lerp(hill[l], Rgb{}, std::min(0.35, below * 0.25));
        const double tex = Fbm(x * 24, y * 24, 2, texture + 101 + l);
        hc = {hc.r * (0.9 + 0.2 * tex), hc.g * (0.9 + 0.2 * tex),
              hc.b * (0.9 + 0.2 * tex)};
        const double haze = 0.55 * (layers - 1 - l) / layers;
        c = Lerp(hc, sky_low, haze);
      }
      const double lum = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
      const double grain = (Lattice(px, py, texture ^ 0x9a1) - 0.5) * 0.025;
      for (double* ch : {&c.r, &c.g, &c.b}) {
        double v = lum + (*ch - lum) * saturation;
        v = 0.5 + (v - 0.5) * contrast + grain;
        *out++ = ToByte(v);
      }
    }
  }
  return image;
}

}  // namespace ebb::inference
