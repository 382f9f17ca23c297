// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/pipeline/model_loader.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status.h"
#include "inference/diffusion/format/weight_format.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;

// Weights in the compute dtype and on the compute device.
class ConvertingSource : public ParamSource {
 public:
  ConvertingSource(ParamSource& inner, const LoadSettings& s)
      : inner_(inner),
        options_(at::TensorOptions().dtype(s.dtype).device(s.device)) {}
  absl::StatusOr<at::Tensor> Get(const std::string& name,
                                 const std::vector<int64_t>& shape) override {
    EBB_ASSIGN_OR_RETURN(at::Tensor t, inner_.Get(name, shape));
    if (t.scalar_type() == options_.dtype() &&
        t.device() == options_.device()) {
      return t;
    }
    return t.to(options_).contiguous();
  }
  bool Has(const std::string& name) const override { return inner_.Has(name); }

 private:
  ParamSource& inner_;
  at::TensorOptions options_;
};

// SUB/BASE.safetensors, else SUB/BASE.fp16.safetensors; a pickle variant
// alone is refused with how to convert.
absl::StatusOr<std::string> PickWeights(const fs::path& dir, const char* sub,
                                        const char* base) {
  for (const char* suffix : {".safetensors", ".fp16.safetensors"}) {
    fs::path p = dir / sub / (std::string(base) + suffix);
    if (fs::exists(p)) return p.string();
  }
  for (const char* suffix : {".bin", ".fp16.bin", ".ckpt", ".pt"}) {
    fs::path p = dir / sub / (std::string(base) + suffix);
    if (fs::exists(p)) {
      EBB_RETURN_IF_ERROR(CheckWeightFileFormat(p.string()));
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no ", sub, "/", base,
                   ".safetensors (or .fp16.safetensors) in ", dir.string()));
}

absl::Status ApplyPrediction(const std::string& type, SchedulerConfig* c) {
  if (type.empty()) return absl::OkStatus();
  if (type == "epsilon") {
    c->prediction_type = PredictionType::kEpsilon;
  } else if (type == "v_prediction") {
    c->prediction_type = PredictionType::kVPrediction;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "prediction type \"", type, "\" is not one of epsilon, v_prediction"));
  }
  return absl::OkStatus();
}

// NAME.yaml beside NAME.safetensors: `parameterization: "v"` -> v_prediction.
std::string PredictionFromSiblingYaml(const fs::path& file) {
  fs::path yaml = file;
  yaml.replace_extension(".yaml");
  auto text = ReadFile(yaml.string());
  if (!text.ok()) return "";
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t at = line.find("parameterization:");
    if (at == std::string::npos || line.find('#') < at) continue;
    std::string v = line.substr(at + 17);
    std::erase_if(v, [](char ch) {
      return ch == ' ' || ch == '"' || ch == '\'' || ch == '\r';
    });
    return v == "v" ? "v_prediction" : "epsilon";
  }
  return "";
}

// The TAESD folder to use, or "" for the model's VAE.
absl::StatusOr<fs::path> ResolveTaesd(const std::vector<fs::path>& candidates,
                                      const LoadSettings& s) {
  if (s.vae_decoder.starts_with("taesd=")) {
    fs::path dir = s.vae_decoder.substr(6);
    if (!fs::is_directory(dir)) {
      return absl::NotFoundError(absl::StrCat("TAESD folder ", dir.string(),
                                              " does not exist (vae_decoder \"",
                                              s.vae_decoder, "\")"));
    }
    return dir;
  }
  if (s.vae_decoder == "vae") return fs::path();
  if (!s.vae_decoder.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("vae_decoder \"", s.vae_decoder,
                     "\" is not one of \"\" (auto), \"vae\", \"taesd=DIR\""));
  }
  for (const auto& c : candidates) {
    if (fs::exists(c / "diffusion_pytorch_model.safetensors")) return c;
  }
  return fs::path();
}

// The decoder of latents: TAESD from `taesd`, else the VAE from `vae`.
absl::Status LoadLatentDecoder(const fs::path& taesd, ParamSource* vae,
                               const VaeConfig& vae_config,
                               const LoadSettings& s, LoadedModel* m) {
  if (taesd.empty()) {
    ConvertingSource src(*vae, s);
    EBB_ASSIGN_OR_RETURN(m->vae, VaeDecoder::Load(src, vae_config));
    m->decoder_name = "vae";
    return absl::OkStatus();
  }
  TaesdConfig config;
  if (fs::exists(taesd / "config.json")) {
    EBB_ASSIGN_OR_RETURN(std::string json,
                         ReadFile((taesd / "config.json").string()));
    EBB_ASSIGN_OR_RETURN(config, ParseTaesdConfig(json));
  }
  if (config.latent_channels != vae_config.latent_channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TAESD in ", taesd.string(), " takes ", config.latent_channels,
        " latent channels; the model makes ", vae_config.latent_channels));
  }
  EBB_ASSIGN_OR_RETURN(auto path,
                       PickWeights(taesd, ".", "diffusion_pytorch_model"));
  EBB_ASSIGN_OR_RETURN(auto store, WeightStore::Open({path}));
  ConvertingSource src(*store, s);
  EBB_ASSIGN_OR_RETURN(m->taesd, TaesdDecoder::Load(src, config));
  m->stores.push_back(std::move(store));
  m->decoder_name = "taesd";
  return absl::OkStatus();
}

// A folder without a VAE denoises RGB pixels directly.
absl::Status CheckPixelSpace(const UNetConfig& unet) {
  if (unet.in_channels != 3 || unet.out_channels != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model_index.json has no vae, so the unet must work on RGB pixels "
        "(in_channels = out_channels = 3), not ",
        unet.in_channels, " -> ", unet.out_channels, " channels"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t LoadedModel::decoder_scale() const {
  if (decoder_name == "none") return 1;
  const size_t n = taesd ? taesd->config().block_out_channels.size()
                         : vae->config().block_out_channels.size();
  return int64_t{1} << (n - 1);
}

absl::StatusOr<at::Tensor> LoadedModel::Decode(
    const at::Tensor& latents) const {
  if (decoder_name == "none") return latents.clamp(-1.0, 1.0);
  return taesd ? taesd->Decode(latents) : vae->Decode(latents);
}

absl::Status LoadDiffusersFolder(const fs::path& dir, const LoadSettings& s,
                                 LoadedModel* m) {
  EBB_ASSIGN_OR_RETURN(std::string index,
                       ReadFile((dir / "model_index.json").string()));
  std::string cls;
  bool pixel_space = false;
  try {
    auto j = nlohmann::json::parse(index);
    cls = j.value("_class_name", "");
    // No "vae" entry (or [null, null]) and no vae/ folder: the UNet works
    // on pixels.
    pixel_space =
        (!j.contains("vae") || j["vae"].is_null() ||
         (j["vae"].is_array() && !j["vae"].empty() && j["vae"][0].is_null())) &&
        !fs::exists(dir / "vae/config.json");
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir.string(), "/model_index.json is not valid JSON: ", e.what()));
  }
  if (cls != "StableDiffusionPipeline") {
    return absl::UnimplementedError(absl::StrCat(
        "pipeline \"", cls, "\" in ", dir.string(),
        " is not supported yet (ebb runs StableDiffusionPipeline folders: "
        "SD 1.x, SD 2.x, sd-turbo)"));
  }
  EBB_ASSIGN_OR_RETURN(m->tokenizer,
                       ClipTokenizer::FromDiffusersFolder(dir.string()));
  EBB_ASSIGN_OR_RETURN(
      std::string sched,
      ReadFile((dir / "scheduler/scheduler_config.json").string()));
  EBB_ASSIGN_OR_RETURN(m->scheduler_config, ParseSchedulerConfig(sched));
  EBB_RETURN_IF_ERROR(ApplyPrediction(s.prediction_type, &m->scheduler_config));
  EBB_ASSIGN_OR_RETURN(m->default_kind,
                       ParseSchedulerKind(m->scheduler_config.class_name));

  EBB_ASSIGN_OR_RETURN(std::string te_json,
                       ReadFile((dir / "text_encoder/config.json").string()));
  EBB_ASSIGN_OR_RETURN(auto te_config, ParseClipTextConfig(te_json));
  EBB_ASSIGN_OR_RETURN(std::string unet_json,
                       ReadFile((dir / "unet/config.json").string()));
  EBB_ASSIGN_OR_RETURN(auto unet_config, ParseUNetConfig(unet_json));
  if (unet_config.cross_attention_dim != te_config.hidden_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unet cross_attention_dim ", unet_config.cross_attention_dim,
        " does not match the text encoder's hidden_size ",
        te_config.hidden_size));
  }
  if (pixel_space) {
    EBB_RETURN_IF_ERROR(CheckPixelSpace(unet_config));
  }
  EBB_ASSIGN_OR_RETURN(auto te_path, PickWeights(dir, "text_encoder", "model"));
  EBB_ASSIGN_OR_RETURN(auto unet_path,
                       PickWeights(dir, "unet", "diffusion_pytorch_model"));
  EBB_ASSIGN_OR_RETURN(auto te, WeightStore::Open({te_path}));
  EBB_ASSIGN_OR_RETURN(auto unet, WeightStore::Open({unet_path}));
  ConvertingSource te_src(*te, s), unet_src(*unet, s);
  EBB_ASSIGN_OR_RETURN(m->text_encoder,
                       ClipTextEncoder::Load(te_src, te_config));
  EBB_ASSIGN_OR_RETURN(m->unet, UNet::Load(unet_src, unet_config));
  m->stores.push_back(std::move(te));
  m->stores.push_back(std::move(unet));
  if (pixel_space) {
    m->decoder_name = "none";
    return absl::OkStatus();
  }
  EBB_ASSIGN_OR_RETURN(std::string vae_json,
                       ReadFile((dir / "vae/config.json").string()));
  EBB_ASSIGN_OR_RETURN(auto vae_config, ParseVaeConfig(vae_json));
  if (vae_config.latent_channels != unet_config.in_channels) {
    return absl::InvalidArgumentError(
        "vae latent_channels differs from unet in_channels");
  }
  EBB_ASSIGN_OR_RETURN(
      fs::path taesd,
      ResolveTaesd({dir / "taesd", dir.parent_path() / "taesd"}, s));
  std::unique_ptr<WeightStore> vae;
  if (taesd.empty()) {
    EBB_ASSIGN_OR_RETURN(auto vae_path,
                         PickWeights(dir, "vae", "diffusion_pytorch_model"));
    EBB_ASSIGN_OR_RETURN(vae, WeightStore::Open({vae_path}));
  }
  EBB_RETURN_IF_ERROR(LoadLatentDecoder(taesd, vae.get(), vae_config, s, m));
  if (vae) m->stores.push_back(std::move(vae));
  return absl::OkStatus();
}

absl::Status LoadSingleFile(const fs::path& file, const LoadSettings& s,
                            LoadedModel* m) {
  EBB_ASSIGN_OR_RETURN(m->checkpoint, LdmCheckpoint::Open(file.string()));
  const LdmArchitecture& a = m->checkpoint->arch();
  EBB_ASSIGN_OR_RETURN(m->tokenizer, ClipTokenizer::BuiltIn(a.pad_id));
  EBB_ASSIGN_OR_RETURN(m->scheduler_config,
                       ParseSchedulerConfig(a.scheduler_json));
  std::string prediction = s.prediction_type;
  if (prediction.empty()) prediction = PredictionFromSiblingYaml(file);
  EBB_RETURN_IF_ERROR(ApplyPrediction(prediction, &m->scheduler_config));
  EBB_ASSIGN_OR_RETURN(m->default_kind,
                       ParseSchedulerKind(m->scheduler_config.class_name));
  ConvertingSource te(m->checkpoint->source(LdmComponent::kTextEncoder), s);
  ConvertingSource unet(m->checkpoint->source(LdmComponent::kUNet), s);
  EBB_ASSIGN_OR_RETURN(m->text_encoder, ClipTextEncoder::Load(te, a.text));
  EBB_ASSIGN_OR_RETURN(m->unet, UNet::Load(unet, a.unet));
  EBB_ASSIGN_OR_RETURN(fs::path taesd,
                       ResolveTaesd({file.parent_path() / "taesd"}, s));
  EBB_RETURN_IF_ERROR(LoadLatentDecoder(
      taesd, &m->checkpoint->source(LdmComponent::kVae), a.vae, s, m));
  if (m->decoder_name == "vae") {
    auto unused = m->checkpoint->UnexpectedUnused();
    if (!unused.empty()) {
      EBB_LOG_WARN("{}: {} tensors were not used, e.g. {}", file.string(),
                   unused.size(), unused.front());
    }
  }
  EBB_LOG_INFO("{}: {}", file.string(), a.Describe());
  return absl::OkStatus();
}

}  // namespace ebb::inference::diffusion
