// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/shapes/world.h
//
// The bundled model's world: one coloured shape (circle, square, triangle) on
// a plain background of another colour, 8 colours, with captions in several
// phrasings ("a red circle on a blue background", "a big red circle on blue",
// "red triangle, yellow background", ...). The trainer draws its data from
// here, deterministically from a seed; the scorer uses the same palette and
// captions to judge generated images (judge.h).
//
// A fixed set of (shape colour, background colour, shape) combinations is held
// out of training (IsHeldOut) so that the scorer can measure generalisation
// to combinations the model never saw.
//
// Determinism: Rng is splitmix64 with its own integer->real mapping, so the
// same seed gives the same samples on every platform and standard library.
// Thread-safety: plain values and pure functions.
#ifndef EBB_INFERENCE_DIFFUSION_SHAPES_WORLD_H_
#define EBB_INFERENCE_DIFFUSION_SHAPES_WORLD_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ebb::inference::diffusion::shapes {

inline constexpr int kNumColours = 8;
inline constexpr int kNumShapes = 3;

enum class Shape { kCircle = 0, kSquare = 1, kTriangle = 2 };
enum class Size { kAny = 0, kSmall = 1, kBig = 2 };

struct Rgb {
  uint8_t r, g, b;
};

// "red" "green" "blue" "yellow" "purple" "orange" "white" "black".
const char* ColourName(int colour);
Rgb ColourValue(int colour);
const char* ShapeName(Shape shape);  // "circle" "square" "triangle"

// What a caption asks for. `colour` != `background`.
struct Scene {
  int colour = 0;
  int background = 1;
  Shape shape = Shape::kCircle;
  Size size = Size::kAny;
};

// Number of caption phrasings; Caption(scene, k) for k in [0, kNumTemplates).
// Template 0 is the canonical "a {colour} {shape} on a {bg} background".
inline constexpr int kNumTemplates = 9;
std::string Caption(const Scene& scene, int template_index);

// Whether the (colour, background, shape) combination is held out of
// training: 24 of the 168 combinations, chosen so that every colour pair
// and every (colour, shape) pair still occurs in training.
bool IsHeldOut(int colour, int background, Shape shape);
// All 168 valid combinations (size kAny), in a fixed order.
std::vector<Scene> AllCombinations();

// splitmix64: a tiny portable generator.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  double Uniform();  // [0, 1)
  int Below(int n);  // [0, n)
  double Range(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

 private:
  uint64_t state_;
};

// Where and how big the shape is drawn; drawn from Rng by RandomLayout.
struct Layout {
  double cx = 16, cy = 16;  // centre, pixels
  double r = 9;             // half extent, pixels
};
// A random size for `size` and a centre drawn uniformly from the positions
// where the shape fits with a 1.5-pixel margin, that range scaled about the
// image centre by `position_jitter` (0: always centred, 1: anywhere it fits).
Layout RandomLayout(Size size, int width, Rng& rng,
                    double position_jitter = 1.0);

// Renders `scene` at `layout` into width*height*3 RGB bytes (4x4
// supersampled edges).
std::vector<uint8_t> Render(const Scene& scene, const Layout& layout, int width,
                            int height);

// Per pixel (row-major, width*height), 1 where the three shapes drawn at
// `layout` cover the pixel differently, else 0: the pixels whose value says
// which shape it is (the trainer may weight its loss on them).
std::vector<uint8_t> ShapeDependentPixels(const Layout& layout, int width,
                                          int height);

// One training sample: a random non-held-out scene (held-out ones too when
// `include_held_out`), a random phrasing and layout (RandomLayout with
// `position_jitter`).
struct Sample {
  Scene scene;
  std::string caption;
  Layout layout;
  std::vector<uint8_t> rgb;
};
Sample RandomSample(Rng& rng, int width, bool include_held_out = false,
                    double position_jitter = 1.0);

}  // namespace ebb::inference::diffusion::shapes

#endif  // EBB_INFERENCE_DIFFUSION_SHAPES_WORLD_H_
