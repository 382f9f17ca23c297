// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/shapes/judge.h
//
// Reads an image of the shapes world (world.h) back by pixel statistics
// alone, no model:
//   - every pixel is mapped to the nearest of the 8 palette colours (RGB
//     distance);
//   - background = the most frequent colour on the 2-pixel border;
//   - shape colour = the most frequent colour among the other pixels;
//   - shape, from the largest 4-connected region of the shape colour: its
//     top half holding much less than its bottom half -> triangle (apex up);
//     else its fill of the bounding box: >= 0.88 square, below: circle
//     (ideal: triangle 1/2 with top/bottom 1/3, circle pi/4, square 1).
// Thread-safety: pure functions.
#ifndef EBB_INFERENCE_DIFFUSION_SHAPES_JUDGE_H_
#define EBB_INFERENCE_DIFFUSION_SHAPES_JUDGE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "inference/diffusion/shapes/world.h"

namespace ebb::inference::diffusion::shapes {

struct Reading {
  int background = -1;         // palette index
  int colour = -1;             // palette index; -1 when no shape pixels
  std::optional<Shape> shape;  // nullopt when no region to measure
  double fill = 0;             // region area / bounding-box area
  double top_bottom = 0;       // region area in top half / bottom half
};

// `rgb` is width*height*3 bytes.
Reading Judge(const std::vector<uint8_t>& rgb, int width, int height);

struct Verdict {
  bool background = false, colour = false, shape = false;
};
Verdict Check(const Reading& r, const Scene& want);

}  // namespace ebb::inference::diffusion::shapes

#endif  // EBB_INFERENCE_DIFFUSION_SHAPES_JUDGE_H_
