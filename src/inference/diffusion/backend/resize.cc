// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/resize.h"

#include <algorithm>
#include <cmath>

namespace ebb::inference::diffusion {
namespace {

struct Tap {
  int lo, hi;
  float w;  // weight of hi
};

std::vector<Tap> Taps(int src, int dst) {
  std::vector<Tap> taps(dst);
  const float scale = static_cast<float>(src) / static_cast<float>(dst);
  for (int i = 0; i < dst; ++i) {
    float x = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
    x = std::clamp(x, 0.0f, static_cast<float>(src - 1));
    const int lo = static_cast<int>(std::floor(x));
    taps[i] = {lo, std::min(lo + 1, src - 1), x - static_cast<float>(lo)};
  }
  return taps;
}

}  // namespace

std::vector<uint8_t> ResizeBilinear(const std::vector<uint8_t>& rgb, int src_w,
                                    int src_h, int dst_w, int dst_h) {
  if (src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1 ||
      rgb.size() != static_cast<size_t>(src_w) * src_h * 3) {
    return {};
  }
  const std::vector<Tap> xs = Taps(src_w, dst_w), ys = Taps(src_h, dst_h);
  std::vector<uint8_t> out(static_cast<size_t>(dst_w) * dst_h * 3);
  for (int y = 0; y < dst_h; ++y) {
    const uint8_t* r0 = &rgb[static_cast<size_t>(ys[y].lo) * src_w * 3];
    const uint8_t* r1 = &rgb[static_cast<size_t>(ys[y].hi) * src_w * 3];
    const float wy = ys[y].w;
    uint8_t* o = &out[static_cast<size_t>(y) * dst_w * 3];
    for (int x = 0; x < dst_w; ++x) {
      const Tap& t = xs[x];
      for (int c = 0; c < 3; ++c) {
        const float top = r0[t.lo * 3 + c] * (1 - t.w) + r0[t.hi * 3 + c] * t.w;
        const float bot = r1[t.lo * 3 + c] * (1 - t.w) + r1[t.hi * 3 + c] * t.w;
        o[x * 3 + c] =
            static_cast<uint8_t>(std::lround(top * (1 - wy) + bot * wy));
      }
    }
  }
  return out;
}

}  // namespace ebb::inference::diffusion
