// SPDX-License-Identifier: Apache-2.0
#include "spec/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ebb::spec {
namespace {

using Json = nlohmann::ordered_json;

Json Scalar(const YAML::Node& node) {
  const std::string& v = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return v;
  const std::string lower = absl::AsciiStrToLower(v);
  if (tag == "tag:yaml.org,2002:null" ||
      (tag != "tag:yaml.org,2002:bool" &&
       (v.empty() || v == "~" || lower == "null"))) {
    return nullptr;
  }
  if (lower == "true" || lower == "false") return lower == "true";
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  int64_t i = 0;
  if (std::regex_match(v, kInt) && absl::SimpleAtoi(v, &i)) return i;
  double d = 0;
  if (std::regex_match(v, kFloat) && absl::SimpleAtod(v, &d)) return d;
  return v;
}

Json Convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Scalar(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const YAML::Node& item : node) out.push_back(Convert(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        out[it->first.Scalar()] = Convert(it->second);
      }
      return out;
    }
    default:
      return nullptr;
  }
}

}  // namespace

std::string YamlNodeToJson(const YAML::Node& node) {
  try {
    return Convert(node).dump();
  } catch (const std::exception&) {
    return "null";
  }
}

absl::StatusOr<std::string> YamlTextToJson(const std::string& yaml_text) {
  try {
    return YamlNodeToJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid YAML: ", e.what()));
  }
}

}  // namespace ebb::spec
