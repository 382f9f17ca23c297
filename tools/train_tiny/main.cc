// SPDX-License-Identifier: Apache-2.0
//
// ebb-train-tiny: trains the bundled shapes model (models/ebb-shapes) from
// scratch on the CPU and writes its diffusers folder. See
// inference/diffusion/train/trainer.h for the recipe and models/ebb-shapes/
// README.md for the committed run.
#include <malloc.h>

#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "inference/diffusion/train/trainer.h"

namespace {

constexpr const char* kUsage =
    "Usage: ebb-train-tiny --out DIR [options]\n"
    "Trains the tiny text-to-image model of shapes and colours and writes a\n"
    "diffusers folder (pixel space, no vae/) that ebb's pipeline loads.\n"
    "  --out DIR             folder to write (created; files overwritten)\n"
    "  --steps N             optimiser steps (default 3000: 26-32 min on\n"
    "                        the project's 2-vCPU VM)\n"
    "  --batch N             images per step (default 32)\n"
    "  --lr X                peak Adam learning rate (default 0.001)\n"
    "  --snr-weight-cap X    loss weight min(1 + SNR, X); 0 = plain x0 loss "
    "(default 5)\n"
    "  --seed N              data and initialisation seed (default 1)\n"
    "  --threads N           libtorch threads (default 1: as fast as 2 for\n"
    "                        this small model, and steady beside other work)\n"
    "  --channels A,B,C      UNet block widths (default 16,32,64)\n"
    "  --text-width N        text encoder width (default 64)\n"
    "  --shape-loss-weight X extra loss weight on the pixels that differ\n"
    "                        between the shapes (default 10)\n"
    "  --position-jitter X   0 = shapes always centred .. 1 = anywhere\n"
    "                        (default 0)\n"
    "  --checkpoint-every N  also write the folder every N steps (default "
    "500)\n"
    "  --clip-dir DIR        CLIP merges.txt + LICENSE (default the "
    "source tree's third_party/clip)\n";

int Usage(const std::string& msg) {
  std::fprintf(stderr, "ebb-train-tiny: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 1 << 30);
  namespace tr = ebb::inference::diffusion::train;
  tr::TrainOptions o;
  o.clip_dir = EBB_CLIP_DIR;
  o.threads = 1;
  o.checkpoint_every = 500;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return Usage(a + " needs a value");
    const std::string v = argv[++i];
    bool ok = true;
    if (a == "--out") {
      o.out_dir = v;
    } else if (a == "--clip-dir") {
      o.clip_dir = v;
    } else if (a == "--steps") {
      ok = absl::SimpleAtoi(v, &o.steps) && o.steps > 0;
    } else if (a == "--batch") {
      ok = absl::SimpleAtoi(v, &o.batch) && o.batch > 0;
    } else if (a == "--snr-weight-cap") {
      ok = absl::SimpleAtod(v, &o.snr_weight_cap) && o.snr_weight_cap >= 0;
    } else if (a == "--lr") {
      ok = absl::SimpleAtod(v, &o.lr) && o.lr > 0;
    } else if (a == "--seed") {
      ok = absl::SimpleAtoi(v, &o.seed);
    } else if (a == "--threads") {
      ok = absl::SimpleAtoi(v, &o.threads) && o.threads > 0;
    } else if (a == "--text-width") {
      ok = absl::SimpleAtoi(v, &o.text_width) && o.text_width >= 32 &&
           o.text_width % 32 == 0;
    } else if (a == "--shape-loss-weight") {
      ok =
          absl::SimpleAtod(v, &o.shape_loss_weight) && o.shape_loss_weight >= 0;
    } else if (a == "--position-jitter") {
      ok = absl::SimpleAtod(v, &o.position_jitter) && o.position_jitter >= 0 &&
           o.position_jitter <= 1;
    } else if (a == "--checkpoint-every") {
      ok = absl::SimpleAtoi(v, &o.checkpoint_every) && o.checkpoint_every >= 0;
    } else if (a == "--channels") {
      o.unet_channels.clear();
      for (auto part : absl::StrSplit(v, ',')) {
        int c = 0;
        ok = ok && absl::SimpleAtoi(part, &c) && c >= 8 && c % 8 == 0;
        o.unet_channels.push_back(c);
      }
    } else {
      return Usage("unknown option " + a);
    }
    if (!ok) return Usage("bad value for " + a + ": \"" + v + "\"");
  }
  if (o.out_dir.empty()) return Usage("--out DIR is required");
  auto status = tr::Train(o, [](const tr::Progress& p) {
    std::fprintf(stderr, "step %5d/%d  loss %.4f  %.2f it/s  ETA %4.0f s\n",
                 p.step, p.steps, p.loss, p.steps_per_s, p.eta_s);
  });
  if (!status.ok()) {
    std::fprintf(stderr, "ebb-train-tiny: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "wrote %s\n", o.out_dir.c_str());
  return 0;
}
