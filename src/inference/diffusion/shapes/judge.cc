// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/shapes/judge.h"

#include <algorithm>
#include <array>

namespace ebb::inference::diffusion::shapes {
namespace {

int Nearest(const uint8_t* p) {
  int best = 0;
  long best_d = -1;
  for (int c = 0; c < kNumColours; ++c) {
    const Rgb v = ColourValue(c);
    const long dr = p[0] - v.r, dg = p[1] - v.g, db = p[2] - v.b;
    const long d = dr * dr + dg * dg + db * db;
    if (best_d < 0 || d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

int ArgMax(const std::array<int, kNumColours>& counts, int skip) {
  int best = -1;
  for (int c = 0; c < kNumColours; ++c) {
    if (c == skip || counts[c] == 0) continue;
    if (best < 0 || counts[c] > counts[best]) best = c;
  }
  return best;
}

}  // namespace

Reading Judge(const std::vector<uint8_t>& rgb, int w, int h) {
  Reading out;
  std::vector<int> idx(static_cast<size_t>(w) * h);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = Nearest(&rgb[i * 3]);
  std::array<int, kNumColours> border{}, inner{};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const bool edge = x < 2 || y < 2 || x >= w - 2 || y >= h - 2;
      (edge ? border : inner)[idx[y * w + x]]++;
    }
  }
  out.background = ArgMax(border, -1);
  for (int c = 0; c < kNumColours; ++c) inner[c] += border[c];
  out.colour = ArgMax(inner, out.background);
  if (out.colour < 0) return out;

  // Largest 4-connected region of the shape colour.
  std::vector<int> label(idx.size(), -1), best_cells, cells, stack;
  for (int start = 0; start < w * h; ++start) {
    if (idx[start] != out.colour || label[start] >= 0) continue;
    cells.clear();
    stack.assign(1, start);
    label[start] = start;
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      cells.push_back(i);
      const int x = i % w, y = i / w;
      const int next[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
      for (const auto& n : next) {
        if (n[0] < 0 || n[1] < 0 || n[0] >= w || n[1] >= h) continue;
        const int j = n[1] * w + n[0];
        if (idx[j] == out.colour && label[j] < 0) {
          label[j] = start;
          stack.push_back(j);
        }
      }
    }
    if (cells.size() > best_cells.size()) best_cells = cells;
  }
  if (best_cells.size() < 4) return out;
  int x0 = w, x1 = -1, y0 = h, y1 = -1;
  for (int i : best_cells) {
    x0 = std::min(x0, i % w), x1 = std::max(x1, i % w);
    y0 = std::min(y0, i / w), y1 = std::max(y1, i / w);
  }
  const double area = static_cast<double>(best_cells.size());
  out.fill = area / ((x1 - x0 + 1.0) * (y1 - y0 + 1.0));
  const double mid = (y0 + y1) / 2.0;
  double top = 0, bottom = 0;
  for (int i : best_cells) {
    const double y = i / w;
    if (y < mid) top += 1;
    if (y > mid) bottom += 1;
  }
  out.top_bottom = bottom > 0 ? top / bottom : 1.0;
  if (out.top_bottom < 0.6) {
    out.shape = Shape::kTriangle;
  } else if (out.fill >= 0.88) {
    out.shape = Shape::kSquare;
  } else {
    out.shape = Shape::kCircle;
  }
  return out;
}

Verdict Check(const Reading& r, const Scene& want) {
  Verdict v;
  v.background = r.background == want.background;
  v.colour = r.colour == want.colour;
  v.shape = r.shape.has_value() && *r.shape == want.shape;
  return v;
}

}  // namespace ebb::inference::diffusion::shapes
