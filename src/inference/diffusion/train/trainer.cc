// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"
#include "inference/diffusion/config/model_config.h"
#include "inference/diffusion/nets/clip_text.h"
#include "inference/diffusion/nets/unet.h"
#include "inference/diffusion/shapes/world.h"
#include "inference/diffusion/tokenizer/clip_tokenizer.h"
#include "inference/diffusion/train/trainable_params.h"

namespace ebb::inference::diffusion::train {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int kTrainTimesteps = 1000;
constexpr double kBetaStart = 1e-4, kBetaEnd = 0.02;

absl::Status WriteJson(const fs::path& p, const Json& j) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  return WriteFileAtomic(p.string(), j.dump(2) + "\n");
}

Json TextConfig(const TrainOptions& o) {
  return {{"_class_name", "CLIPTextModel"},
          {"architectures", {"CLIPTextModel"}},
          {"vocab_size", 49408},
          {"hidden_size", o.text_width},
          {"intermediate_size", 2 * o.text_width},
          {"num_hidden_layers", o.text_layers},
          {"num_attention_heads", std::max(1, o.text_width / 32)},
          {"max_position_embeddings", kClipMaxLength},
          {"hidden_act", "gelu"},
          {"layer_norm_eps", 1e-5},
          {"bos_token_id", kClipBosId},
          {"eos_token_id", kClipEosId},
          {"pad_token_id", kClipEosId}};
}

Json UNetJson(const TrainOptions& o) {
  const size_t n = o.unet_channels.size();
  Json down = Json::array(), up = Json::array(), heads = Json::array();
  for (size_t i = 0; i < n; ++i) {
    const bool cross = i > 0;  // attention below the full resolution
    down.push_back(cross ? "CrossAttnDownBlock2D" : "DownBlock2D");
    heads.push_back(std::max(1, o.unet_channels[i] / 32));
  }
  for (size_t i = 0; i < n; ++i) {
    up.push_back(i + 1 < n ? "CrossAttnUpBlock2D" : "UpBlock2D");
  }
  return {{"_class_name", "UNet2DConditionModel"},
          {"in_channels", 3},
          {"out_channels", 3},
          {"sample_size", o.image_size},
          {"block_out_channels", o.unet_channels},
          {"down_block_types", down},
          {"up_block_types", up},
          {"mid_block_type", "UNetMidBlock2DCrossAttn"},
          {"layers_per_block", 1},
          {"attention_head_dim", heads},
          {"cross_attention_dim", o.text_width},
          {"norm_num_groups", 8},
          {"norm_eps", 1e-5},
          {"use_linear_projection", true},
          {"act_fn", "silu"},
          {"flip_sin_to_cos", true},
          {"freq_shift", 0}};
}

Json SchedulerJson() {
  return {{"_class_name", "DDIMScheduler"},
          {"num_train_timesteps", kTrainTimesteps},
          {"beta_start", kBetaStart},
          {"beta_end", kBetaEnd},
          {"beta_schedule", "linear"},
          {"prediction_type", "sample"},
          {"timestep_spacing", "trailing"},
          {"clip_sample", true},
          {"set_alpha_to_one", true},
          {"steps_offset", 0}};
}

// Everything but the weights: configs, tokenizer, model_index.json.
absl::Status WriteFolderFiles(const TrainOptions& o) {
  const fs::path d = o.out_dir;
  Json index = {{"_class_name", "StableDiffusionPipeline"},
                {"_diffusers_version", "0.30.0"},
                {"scheduler", {"diffusers", "DDIMScheduler"}},
                {"text_encoder", {"transformers", "CLIPTextModel"}},
                {"tokenizer", {"transformers", "CLIPTokenizer"}},
                {"unet", {"diffusers", "UNet2DConditionModel"}},
                {"ebb",
                 {{"native_width", o.image_size},
                  {"native_height", o.image_size},
                  {"default_steps", o.default_steps},
                  {"default_guidance_scale", o.default_guidance},
                  {"example_prompts", ExamplePrompts()}}}};
  EBB_RETURN_IF_ERROR(WriteJson(d / "model_index.json", index));
  EBB_RETURN_IF_ERROR(
      WriteJson(d / "scheduler/scheduler_config.json", SchedulerJson()));
  EBB_RETURN_IF_ERROR(WriteJson(d / "text_encoder/config.json", TextConfig(o)));
  EBB_RETURN_IF_ERROR(WriteJson(d / "unet/config.json", UNetJson(o)));
  EBB_RETURN_IF_ERROR(WriteJson(d / "tokenizer/special_tokens_map.json",
                                {{"bos_token", "<|startoftext|>"},
                                 {"eos_token", "<|endoftext|>"},
                                 {"pad_token", "<|endoftext|>"},
                                 {"unk_token", "<|endoftext|>"}}));
  for (const char* f : {"merges.txt", "LICENSE"}) {
    const fs::path src = fs::path(o.clip_dir) / f;
    std::error_code ec;
    fs::copy_file(src, d / "tokenizer" / f,
                  fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return absl::NotFoundError(
          absl::StrCat("cannot copy ", src.string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

double LearningRate(const TrainOptions& o, int step) {
  if (step < o.warmup) return o.lr * (step + 1) / o.warmup;
  const double p =
      static_cast<double>(step - o.warmup) / std::max(1, o.steps - o.warmup);
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * p)));
}

struct AdamState {
  std::vector<at::Tensor> m, v;
};

}  // namespace

std::vector<std::string> ExamplePrompts() {
  return {"a red circle on a blue background",
          "a yellow triangle on a purple background",
          "a white square on a black background",
          "a big orange circle on green",
          "blue triangle, yellow background",
          "a small green square on a white background"};
}

absl::Status Train(const TrainOptions& o,
                   const std::function<void(const Progress&)>& on_progress,
                   int report_every) {
  if (o.out_dir.empty() || o.steps < 1 || o.batch < 1 || o.image_size < 8 ||
      o.unet_channels.empty() || o.text_width < 8 ||
      o.image_size % (1 << (o.unet_channels.size() - 1)) != 0) {
    return absl::InvalidArgumentError(
        "train: need out_dir, steps >= 1, batch >= 1, and an image size that "
        "is a multiple of 2^(levels-1)");
  }
  if (o.threads > 0) at::set_num_threads(o.threads);
  EBB_RETURN_IF_ERROR(WriteFolderFiles(o));
  EBB_ASSIGN_OR_RETURN(auto tokenizer,
                       ClipTokenizer::FromDiffusersFolder(o.out_dir));
  EBB_ASSIGN_OR_RETURN(auto te_config,
                       ParseClipTextConfig(TextConfig(o).dump()));
  EBB_ASSIGN_OR_RETURN(auto unet_config, ParseUNetConfig(UNetJson(o).dump()));

  TrainableParams te_params(o.seed * 2 + 1), unet_params(o.seed * 2 + 2);
  EBB_ASSIGN_OR_RETURN(auto te, ClipTextEncoder::Load(te_params, te_config));
  EBB_ASSIGN_OR_RETURN(auto unet, UNet::Load(unet_params, unet_config));
  std::vector<at::Tensor> params, ema;
  for (auto* src : {&te_params, &unet_params}) {
    for (const auto& [name, t] : src->params()) {
      params.push_back(t);
      ema.push_back(t.detach().clone());
    }
  }
  AdamState adam;
  for (const auto& p : params) {
    adam.m.push_back(at::zeros_like(p).detach());
    adam.v.push_back(at::zeros_like(p).detach());
  }

  std::vector<double> sqrt_ac(kTrainTimesteps), sqrt_1mac(kTrainTimesteps);
  double ac = 1;
  for (int i = 0; i < kTrainTimesteps; ++i) {
    const double beta =
        kBetaStart + (kBetaEnd - kBetaStart) * i / (kTrainTimesteps - 1);
    ac *= 1 - beta;
    sqrt_ac[i] = std::sqrt(ac);
    sqrt_1mac[i] = std::sqrt(1 - ac);
  }

  auto write = [&]() -> absl::Status {
    const size_t n_te = te_params.params().size();
    std::vector<at::Tensor> te_ema(ema.begin(), ema.begin() + n_te),
        unet_ema(ema.begin() + n_te, ema.end());
    EBB_RETURN_IF_ERROR(te_params.Write(
        (fs::path(o.out_dir) / "text_encoder/model.safetensors").string(),
        te_ema));
    return unet_params.Write(
        (fs::path(o.out_dir) / "unet/diffusion_pytorch_model.safetensors")
            .string(),
        unet_ema);
  };

  shapes::Rng data_rng(o.seed);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 7);
  const int s = o.image_size, b = o.batch;
  const double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8, clip = 1.0;
  Progress prog;
  prog.steps = o.steps;
  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < o.steps; ++step) {
    std::vector<uint8_t> pixels(static_cast<size_t>(b) * s * s * 3);
    std::vector<int64_t> ids;
    std::vector<int64_t> ts(b);
    std::vector<float> sa(b), sb(b), w(b);
    std::vector<float> pixel_w(static_cast<size_t>(b) * s * s, 1.0f);
    for (int i = 0; i < b; ++i) {
      shapes::Sample sample =
          shapes::RandomSample(data_rng, s, false, o.position_jitter);
      std::memcpy(&pixels[static_cast<size_t>(i) * s * s * 3],
                  sample.rgb.data(), sample.rgb.size());
      if (o.shape_loss_weight > 0) {
        const std::vector<uint8_t> dep =
            shapes::ShapeDependentPixels(sample.layout, s, s);
        float* pw = &pixel_w[static_cast<size_t>(i) * s * s];
        for (size_t k = 0; k < dep.size(); ++k) {
          if (dep[k]) pw[k] += static_cast<float>(o.shape_loss_weight);
        }
      }
      if (data_rng.Uniform() < o.caption_dropout) sample.caption.clear();
      TokenizedPrompt tp = tokenizer->Tokenize(sample.caption);
      ids.insert(ids.end(), tp.ids.begin(), tp.ids.end());
      ts[i] = data_rng.Below(kTrainTimesteps);
      sa[i] = static_cast<float>(sqrt_ac[ts[i]]);
      sb[i] = static_cast<float>(sqrt_1mac[ts[i]]);
      // min(1 + SNR, cap): 1 + SNR is the v-prediction loss seen in x0 terms
      // (it weights the mid and low noise levels, where edges and shapes
      // form, above the pure x0 loss, which is dominated by the blurry mean
      // of the high noise levels); capped so near-clean steps do not dominate.
      const double snr = sqrt_ac[ts[i]] * sqrt_ac[ts[i]] /
                         (sqrt_1mac[ts[i]] * sqrt_1mac[ts[i]]);
      w[i] = static_cast<float>(
          o.snr_weight_cap > 0 ? std::min(1.0 + snr, o.snr_weight_cap) : 1.0);
    }
    at::Tensor x0 = at::from_blob(pixels.data(), {b, s, s, 3}, at::kByte)
                        .permute({0, 3, 1, 2})
                        .to(at::kFloat)
                        .div(127.5)
                        .sub(1.0)
                        .contiguous();
    at::Tensor noise = at::randn({b, 3, s, s}, gen, at::kFloat);
    at::Tensor a = at::from_blob(sa.data(), {b, 1, 1, 1}, at::kFloat).clone();
    at::Tensor sig = at::from_blob(sb.data(), {b, 1, 1, 1}, at::kFloat).clone();
    at::Tensor xt = x0 * a + noise * sig;
    at::Tensor id_t =
        at::from_blob(ids.data(), {b, kClipMaxLength}, at::kLong).clone();
    at::Tensor t_t = at::from_blob(ts.data(), {b}, at::kLong).to(at::kFloat);

    EBB_ASSIGN_OR_RETURN(at::Tensor context, te.Forward(id_t));
    EBB_ASSIGN_OR_RETURN(at::Tensor eps, unet.Forward(xt, t_t, context));
    // x0 ("sample") prediction, weighted per image (see w above).
    at::Tensor wt = at::from_blob(w.data(), {b, 1, 1, 1}, at::kFloat).clone();
    at::Tensor pw = at::from_blob(pixel_w.data(), {b, 1, s, s}, at::kFloat);
    at::Tensor loss = ((eps - x0).pow(2) * wt * pw).mean();
    for (auto& p : params) p.mutable_grad() = at::Tensor();
    loss.backward();

    {
      c10::AutoGradMode no_grad(false);
      double sq = 0;
      for (auto& p : params) {
        if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
      }
      const double norm = std::sqrt(sq);
      const double scale = norm > clip ? clip / norm : 1.0;
      const double lr = LearningRate(o, step);
      const double bc1 = 1 - std::pow(beta1, step + 1);
      const double bc2 = 1 - std::pow(beta2, step + 1);
      const double decay = std::min(o.ema_decay, (1.0 + step) / (10.0 + step));
      for (size_t i = 0; i < params.size(); ++i) {
        at::Tensor g = params[i].grad();
        if (!g.defined()) continue;
        if (scale != 1.0) g = g * scale;
        adam.m[i].mul_(beta1).add_(g, 1 - beta1);
        adam.v[i].mul_(beta2).addcmul_(g, g, 1 - beta2);
        at::Tensor denom = (adam.v[i] / bc2).sqrt_().add_(adam_eps);
        params[i].addcdiv_(adam.m[i], denom, -lr / bc1);
        ema[i].mul_(decay).add_(params[i].detach(), 1 - decay);
      }
    }

    const double l = loss.item<double>();
    prog.loss = step == 0 ? l : 0.98 * prog.loss + 0.02 * l;
    prog.step = step + 1;
    const double el =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    prog.steps_per_s = prog.step / std::max(el, 1e-9);
    prog.eta_s = (o.steps - prog.step) / std::max(prog.steps_per_s, 1e-9);
    if (on_progress &&
        (prog.step % std::max(1, report_every) == 0 || prog.step == o.steps)) {
      on_progress(prog);
    }
    if (o.checkpoint_every > 0 && prog.step % o.checkpoint_every == 0 &&
        prog.step < o.steps) {
      EBB_RETURN_IF_ERROR(write());
    }
  }
  return write();
}

}  // namespace ebb::inference::diffusion::train
