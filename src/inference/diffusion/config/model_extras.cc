// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/config/model_extras.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr size_t kMaxExamples = 32;

// "<index>: \"ebb\".<field> = <value>: <want>" (the value as given, or
// "missing").
absl::Status Bad(const fs::path& index, const Json& e, const std::string& field,
                 const std::string& want) {
  std::string value = "missing";
  if (!field.empty() && e.is_object() && e.contains(field)) {
    value = e[field].dump(-1, ' ', false, Json::error_handler_t::replace);
    if (value.size() > 40) value = value.substr(0, 40) + "...";
  }
  return absl::InvalidArgumentError(absl::StrCat(
      index.string(), ": \"ebb\".", field,
      field.empty() ? "" : absl::StrCat(" = ", value), ": ", want));
}

}  // namespace

absl::StatusOr<ModelExtras> ReadModelExtras(const std::string& path) {
  ModelExtras x;
  const fs::path index = fs::path(path) / "model_index.json";
  std::error_code ec;
  if (!fs::is_directory(path, ec) || !fs::exists(index, ec)) return x;
  auto text = ReadFile(index.string());
  if (!text.ok()) return x;  // the pipeline's loader reports it
  const Json j = Json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("ebb")) return x;
  const Json& e = j["ebb"];
  if (!e.is_object()) return Bad(index, e, "", "want an object");

  const bool w = e.contains("native_width"), h = e.contains("native_height");
  if (w || h) {
    NativeSize n;
    for (auto [key, out] : {std::pair{"native_width", &n.width},
                            std::pair{"native_height", &n.height}}) {
      if (!e.contains(key) || !e[key].is_number_integer() ||
          e[key].get<int>() < 8 || e[key].get<int>() > 2048 ||
          e[key].get<int>() % 8 != 0) {
        return Bad(index, e, key,
                   "want native_width and native_height, multiples of 8 in "
                   "8..2048 (pixels)");
      }
      *out = e[key].get<int>();
    }
    x.native = n;
  }
  if (e.contains("default_steps")) {
    const Json& v = e["default_steps"];
    if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 150) {
      return Bad(index, e, "default_steps", "want an integer in 1..150");
    }
    x.default_steps = v.get<int>();
  }
  if (e.contains("default_guidance_scale")) {
    const Json& v = e["default_guidance_scale"];
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 30) {
      return Bad(index, e, "default_guidance_scale", "want a number in 0..30");
    }
    x.default_guidance_scale = v.get<double>();
  }
  if (e.contains("example_prompts")) {
    const Json& v = e["example_prompts"];
    if (!v.is_array() || v.size() > kMaxExamples) {
      return Bad(index, e, "example_prompts",
                 absl::StrCat("want an array of at most ", kMaxExamples,
                              " non-empty strings"));
    }
    for (const Json& p : v) {
      if (!p.is_string() || p.get<std::string>().empty()) {
        return Bad(index, e, "example_prompts",
                   "want an array of non-empty strings");
      }
      x.example_prompts.push_back(p.get<std::string>());
    }
  }
  return x;
}

}  // namespace ebb::inference::diffusion
