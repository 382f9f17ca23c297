// SPDX-License-Identifier: Apache-2.0
#include "cli/bundled_model.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/model_cli.h"
#include "cli/shipped_dir.h"
#include "common/log.h"
#include "inference/diffusion/config/model_extras.h"

#ifndef EBB_INSTALL_MODELS_DIR
#define EBB_INSTALL_MODELS_DIR "share/ebb/models"
#endif
#ifndef EBB_BUILD_DIR
#define EBB_BUILD_DIR ""
#endif
#ifndef EBB_SOURCE_MODELS_DIR
#define EBB_SOURCE_MODELS_DIR ""
#endif

namespace ebb::cli {

namespace fs = std::filesystem;

std::string FindBundledModel(std::vector<std::string>* tried) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return FindShippedDir(
      self,
      {.install_rel =
           absl::StrCat(EBB_INSTALL_MODELS_DIR, "/", kBundledModelName),
       .source_dir =
           std::string(EBB_SOURCE_MODELS_DIR).empty()
               ? ""
               : absl::StrCat(EBB_SOURCE_MODELS_DIR, "/", kBundledModelName),
       .build_dir = EBB_BUILD_DIR,
       .checkout_rel = absl::StrCat("models/", kBundledModelName),
       .marker = "model_index.json"},
      tried);
}

ResolvedModel ResolveModel(const std::string& named) {
  if (!named.empty()) return {named, "", false};
  std::vector<std::string> tried;
  const std::string bundled = FindBundledModel(&tried);
  if (bundled.empty()) {
    return {"sim",
            absl::StrCat("no --model or EBB_MODEL, and the bundled model ",
                         kBundledModelName, " is not installed (looked in ",
                         absl::StrJoin(tried, ", "),
                         "): serving the sim, a procedural stand-in"),
            true};
  }
  absl::StatusOr<std::string> bin = FindDiffusionBinary();
  if (!bin.ok()) {
    return {"sim",
            absl::StrCat("no --model or EBB_MODEL, and the bundled model ",
                         kBundledModelName, " needs the inference binary: ",
                         bin.status().message(),
                         ". Serving the sim, a procedural stand-in"),
            true};
  }
  return {bundled,
          absl::StrCat("no --model or EBB_MODEL: the bundled model ",
                       kBundledModelName, " (", bundled, ")"),
          false};
}

nlohmann::json DescribeModel(const std::string& named) {
  const ResolvedModel r = ResolveModel(named);
  nlohmann::json out = {{"model", r.model},
                        {"bundled", named.empty() && !r.fell_back},
                        {"example_prompts", nlohmann::json::array()}};
  if (r.model == "sim") return out;
  fs::path p = fs::path(r.model).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::error_code ec;
  out["model"] =
      fs::is_directory(p, ec) ? p.filename().string() : p.stem().string();
  auto extras = inference::diffusion::ReadModelExtras(r.model);
  if (!extras.ok()) {
    EBB_LOG_WARN("model {}: {}", r.model,
                 std::string(extras.status().message()));
    return out;
  }
  out["example_prompts"] = extras->example_prompts;
  return out;
}

}  // namespace ebb::cli
