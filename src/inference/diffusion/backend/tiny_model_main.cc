// SPDX-License-Identifier: Apache-2.0
//
// ebb-tiny-model DIR [NATIVE_WIDTH NATIVE_HEIGHT]: writes the tests' tiny
// random Stable Diffusion folder (tiny_model.h). A test tool, not installed.
#include <cstdio>
#include <string>

#include "inference/diffusion/backend/tiny_model.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr,
                 "usage: ebb-tiny-model DIR [NATIVE_WIDTH NATIVE_HEIGHT]\n");
    return 2;
  }
  ebb::inference::diffusion::TinyModelOptions o;
  o.merges_path = EBB_CLIP_MERGES;
  if (argc == 4) {
    o.native_width = std::stoi(argv[2]);
    o.native_height = std::stoi(argv[3]);
  }
  absl::Status s = ebb::inference::diffusion::WriteTinyModel(argv[1], o);
  if (!s.ok()) {
    std::fprintf(stderr, "ebb-tiny-model: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
