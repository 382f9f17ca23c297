// SPDX-License-Identifier: Apache-2.0
#include "bench/diffusion/overhead.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>

#include "bench/diffusion/measure.h"
#include "inference/diffusion/nets/vae_decoder.h"
#include "inference/diffusion/scheduler/scheduler.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"
#include "inference/text_to_image.h"

namespace ebb::bench {
namespace {

namespace d = ebb::inference::diffusion;

double MedianMs(int reps, const std::function<void()>& f) {
  return Repeat(reps, f).MedianWall() * 1e3;
}

}  // namespace

Overhead MeasureOverhead(const at::Tensor& image) {
  Overhead o;
  auto tok = d::ClipTokenizer::FromFiles(
      EBB_SOURCE_DIR "/third_party/clip/merges.txt", "", d::kClipEosId);
  if (tok.ok()) {
    std::string long_prompt;
    for (int i = 0; i < 100; ++i) long_prompt += "photograph of a red circle, ";
    o.tokenize_ms = MedianMs(
        200, [&] { (void)(*tok)->Tokenize("a red circle on a blue square"); });
    o.tokenize_long_ms =
        MedianMs(50, [&] { (void)(*tok)->Tokenize(long_prompt); });
  } else {
    std::printf("tokenizer: %s\n", std::string(tok.status().message()).c_str());
  }
  d::SchedulerConfig sc;
  sc.beta_schedule = "scaled_linear";
  sc.beta_start = 0.00085;
  sc.beta_end = 0.012;
  sc.timestep_spacing = "trailing";
  const int64_t n = 4 * 64 * 64;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  at::Tensor eps = at::randn({n}, gen, at::kFloat);
  at::Tensor x = at::randn({n}, gen, at::kFloat);
  std::span<const float> eps_s(eps.data_ptr<float>(), n);
  std::span<float> x_s(x.data_ptr<float>(), n);
  o.scheduler_ms = MedianMs(50, [&] {
    auto s = *d::Scheduler::Create(d::SchedulerKind::kEuler, sc, 1);
    (void)s->Step(0, eps_s, x_s, {});
  });
  auto sa = *d::Scheduler::Create(d::SchedulerKind::kEulerAncestral, sc, 20);
  o.scheduler_a_ms = MedianMs(50, [&] {
    at::Tensor noise = at::randn({n}, gen, at::kFloat);
    (void)sa->Step(3, eps_s, x_s, {noise.data_ptr<float>(), size_t(n)});
  });
  std::vector<uint8_t> rgb;
  o.rgb_ms = MedianMs(20, [&] { rgb = std::move(d::ToRgb8(image)[0]); });
  inference::Image img{static_cast<int>(image.size(3)),
                       static_cast<int>(image.size(2)),
                       rgb,
                       {}};
  o.png_ms = MedianMs(10, [&] { (void)*inference::EncodePng(img); });
  std::printf(
      "outside the nets (medians): tokenize %.3f ms (100-word prompt %.3f "
      "ms), scheduler create+step euler 1-step %.3f ms, euler_a step with "
      "noise %.3f ms, latents->RGB8 %.2f ms, PNG encode %dx%d %.2f ms\n",
      o.tokenize_ms, o.tokenize_long_ms, o.scheduler_ms, o.scheduler_a_ms,
      o.rgb_ms, img.width, img.height, o.png_ms);
  return o;
}

}  // namespace ebb::bench
