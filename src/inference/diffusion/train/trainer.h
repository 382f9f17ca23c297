// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/train/trainer.h
//
// Trains the bundled shapes model (shapes/world.h) from scratch on the CPU
// and writes it as an ordinary diffusers folder that Pipeline::Load runs with
// no special case: pixel space (no vae/), a tiny CLIPTextModel and a tiny
// UNet2DConditionModel, built by the SAME network code the pipeline runs
// (nets/) from a ParamSource whose tensors are trainable leaves, so training
// and inference compute the same function.
//
// Recipe: sample (x0) prediction, MSE between the UNet's output and x0 for
// x_t = sqrt(ac_t) x0 + sqrt(1 - ac_t) eps, weighted per image by
// min(1 + SNR(t), snr_weight_cap) (epsilon prediction was tried
// first: at this training budget its errors at high noise, amplified by
// 1/sqrt(ac_t) ~ 150 at t = 999, left samples as noise),
// each pixel whose value depends on which shape is drawn weighted 1 +
// shape_loss_weight (shapes::ShapeDependentPixels), shapes drawn centred
// (position_jitter 0),
// t uniform in [0, 1000) (linear betas 1e-4..0.02, the folder's scheduler
// config), captions dropped to "" with probability `caption_dropout` for
// classifier-free guidance, text encoder and UNet trained jointly with Adam
// (linear warm-up, cosine decay), gradient-norm clipping, and an exponential
// moving average of the weights that is what gets written.
//
// Determinism: data and initial weights come from `seed` alone (portable
// generators); the float arithmetic of libtorch's kernels depends on the CPU
// and the thread count, so the written weights are bitwise reproducible only
// on the same machine type with the same threads.
//
// Errors: InvalidArgument for bad options; the writers' and loaders' errors
// pass through. Thread-safety: one Train call at a time per process
// (it sets libtorch's thread count when `threads` > 0).
#ifndef EBB_INFERENCE_DIFFUSION_TRAIN_TRAINER_H_
#define EBB_INFERENCE_DIFFUSION_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ebb::inference::diffusion::train {

struct TrainOptions {
  std::string out_dir;   // the diffusers folder to write (created)
  std::string clip_dir;  // holds merges.txt and LICENSE (third_party/clip)
  int steps = 3000;
  int batch = 32;
  double lr = 1e-3;
  int warmup = 100;
  double ema_decay = 0.995;
  double caption_dropout = 0.1;
  uint64_t seed = 1;
  int threads = 0;      // libtorch intra-op threads; 0 = leave as is
  int image_size = 32;  // native width = height, pixels
  std::vector<int> unet_channels = {16, 32, 64};
  int text_width = 64;  // CLIP hidden size = cross_attention_dim
  int text_layers = 2;
  int default_steps = 20;
  double default_guidance = 1.0;
  // Loss weight per image min(1 + SNR(t), cap) on the x0 error (1 + SNR is
  // the v-prediction loss in x0 terms; Salimans & Ho 2022, "Progressive
  // Distillation", and the min-SNR weighting of Hang et al. 2023);
  // 0 = the plain x0 loss.
  double snr_weight_cap = 5.0;
  // Extra loss weight on the pixels whose value depends on which shape is
  // drawn (shapes::ShapeDependentPixels): each such pixel's squared error
  // counts 1 + shape_loss_weight times. 0 = every pixel alike. Without it
  // the shape's outline is a tiny share of the error and squares came out
  // as rounded blobs.
  double shape_loss_weight = 10;
  // How far from the centre shapes are drawn (shapes::RandomLayout): 0 =
  // always centred, 1 = anywhere they fit. With random positions the
  // 3,000-step budget learned colours but not shapes (37-40 %, chance 33 %).
  double position_jitter = 0.0;
  int checkpoint_every = 0;  // also write out_dir every N steps (0: end)
};

struct Progress {
  int step = 0, steps = 0;
  double loss = 0;  // smoothed
  double steps_per_s = 0;
  double eta_s = 0;
};

// Trains and writes the folder. `on_progress` (may be empty) is called every
// `report_every` steps and at the end.
absl::Status Train(const TrainOptions& options,
                   const std::function<void(const Progress&)>& on_progress,
                   int report_every = 50);

// Prompts written as the folder's example prompts (model_index.json).
std::vector<std::string> ExamplePrompts();

}  // namespace ebb::inference::diffusion::train

#endif  // EBB_INFERENCE_DIFFUSION_TRAIN_TRAINER_H_
