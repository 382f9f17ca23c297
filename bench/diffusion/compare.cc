// SPDX-License-Identifier: Apache-2.0
#include "bench/diffusion/compare.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "bench/diffusion/measure.h"
#include "common/files.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/nets/vae_decoder.h"
#include "inference/diffusion/scheduler/scheduler.h"
#include "inference/diffusion/single_file/ldm_checkpoint.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"
#include "inference/text_to_image.h"

namespace ebb::bench {

namespace d = ebb::inference::diffusion;

bool CompareWithSdCpp(const std::string& checkpoint, const std::string& sd_cli,
                      const std::vector<CompareCase>& cases, int threads,
                      const std::string& work_dir) {
  const char* prompt = "a red circle";
  const uint64_t seed = 1;
  std::printf("\n== same file through ebb and sd.cpp: %s\n",
              checkpoint.c_str());
  auto ckpt = d::LdmCheckpoint::Open(checkpoint);
  if (!ckpt.ok()) {
    std::printf("cannot open: %s\n",
                std::string(ckpt.status().message()).c_str());
    return false;
  }
  const d::LdmArchitecture& arch = (*ckpt)->arch();
  std::optional<d::ClipTextEncoder> te;
  std::optional<d::UNet> unet;
  std::optional<d::VaeDecoder> vae;
  Cost load = Measure([&] {
    te = *d::ClipTextEncoder::Load(
        (*ckpt)->source(d::LdmComponent::kTextEncoder), arch.text);
    unet = *d::UNet::Load((*ckpt)->source(d::LdmComponent::kUNet), arch.unet);
    vae =
        *d::VaeDecoder::Load((*ckpt)->source(d::LdmComponent::kVae), arch.vae);
  });
  std::printf("%s; loaded in %.1f s (cpu-s %.1f), %zu of %zu tensors read\n",
              arch.Describe().c_str(), load.wall_s, load.cpu_s,
              (*ckpt)->used_count(), (*ckpt)->tensor_count());
  auto tok = *d::ClipTokenizer::BuiltIn(arch.pad_id);
  auto json = nlohmann::json::parse(arch.scheduler_json);
  json["timestep_spacing"] = "trailing";
  auto sc = *d::ParseSchedulerConfig(json.dump());
  c10::InferenceMode guard;
  bool ok = true;
  for (const CompareCase& c : cases) {
    const bool cfg = c.cfg > 1;
    at::Tensor latents;
    Cost ebb = Measure([&] {
      std::vector<int64_t> ids;
      for (const char* text : cfg ? std::vector<const char*>{"", prompt}
                                  : std::vector<const char*>{prompt}) {
        auto t = tok->Tokenize(text);
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
      }
      at::Tensor ctx = *te->Forward(
          at::tensor(ids, at::kLong).reshape({cfg ? 2 : 1, d::kClipMaxLength}));
      auto s = *d::Scheduler::Create(d::SchedulerKind::kEuler, sc, 1);
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
      latents = at::randn({1, 4, c.size / 8, c.size / 8}, gen, at::kFloat) *
                s->init_noise_sigma();
      at::Tensor in = latents * s->InputScale(0);
      if (cfg) in = at::cat({in, in}, 0);
      at::Tensor t = at::full({in.size(0)}, s->timesteps()[0], at::kFloat);
      at::Tensor eps = *unet->Forward(in, t, ctx);
      if (cfg) {
        at::Tensor u = eps.narrow(0, 0, 1), k = eps.narrow(0, 1, 1);
        eps = u + (k - u) * c.cfg;
      }
      eps = eps.contiguous();
      const size_t n = latents.numel();
      (void)s->Step(0, {eps.data_ptr<float>(), n},
                    {latents.data_ptr<float>(), n}, {});
      latents = *vae->Decode(latents);
    });
    std::vector<uint8_t> mine = d::ToRgb8(latents)[0];
    SdCppCase sc_case;
    sc_case.width = sc_case.height = c.size;
    sc_case.cfg = c.cfg;
    sc_case.prompt = prompt;
    sc_case.seed = seed;
    sc_case.threads = threads;
    sc_case.out_png =
        absl::StrFormat("%s/sdcpp_%d_cfg%g.png", work_dir, c.size, c.cfg);
    auto r = RunSdCpp(sd_cli, checkpoint, sc_case, work_dir);
    if (!r.ok()) {
      std::printf("sd-cli: %s\n", std::string(r.status().message()).c_str());
      ok = false;
      continue;
    }
    auto png = ReadFile(sc_case.out_png);
    auto theirs = png.ok() ? inference::DecodePng(*png)
                           : absl::StatusOr<inference::Image>(png.status());
    inference::Image img{c.size, c.size, mine, {}};
    (void)WriteFileAtomic(
        absl::StrFormat("%s/ebb_%d_cfg%g.png", work_dir, c.size, c.cfg),
        *inference::EncodePng(img));
    double psnr = theirs.ok() ? Psnr8(mine, theirs->pixels) : 0;
    std::printf(
        "%dx%d euler 1 step cfg %g seed %llu: ebb wall %.2f s cpu-s %.2f | "
        "sd.cpp wall %.2f s (generate %.2f s: text %.2f, sampling %.2f, "
        "decode %.2f) cpu-s %.2f rss %.0f MB | cpu-s ratio ebb/sd.cpp %.2f "
        "(target <= 0.5; %.2f with ebb's load, as sd-cli's cpu-s include "
        "its) | PSNR %.2f dB (target >= 30)\n",
        c.size, c.size, c.cfg, static_cast<unsigned long long>(seed),
        ebb.wall_s, ebb.cpu_s, r->wall_s, r->generate_s, r->text_s,
        r->sampling_s, r->decode_s, r->cpu_s, r->rss_mb, ebb.cpu_s / r->cpu_s,
        (ebb.cpu_s + load.cpu_s) / r->cpu_s, psnr);
  }
  return ok;
}

}  // namespace ebb::bench
