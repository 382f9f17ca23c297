// SPDX-License-Identifier: Apache-2.0
//
// File: spec/yaml_json.h
//
// YAML -> JSON as Kubernetes reads manifests: a quoted (or !!str-tagged)
// scalar stays a string, a plain one becomes null (null, ~, empty), a bool
// (true/false, any case), an integer, a float, or else a string; maps and
// sequences keep their order. The Kubernetes executor sends the jobTargetRef
// in this form, so `value: "1"` reaches the API server as a string, as kubectl
// would send it. (YAML::Dump loses the quotes, so spec keeps both forms.)
#ifndef EBB_SPEC_YAML_JSON_H_
#define EBB_SPEC_YAML_JSON_H_

#include <string>

#include "absl/status/statusor.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace ebb::spec {

// Compact JSON text of `node`. Never throws.
std::string YamlNodeToJson(const YAML::Node& node);
// Parses YAML text (one document) then converts it. InvalidArgument on a
// syntax error.
absl::StatusOr<std::string> YamlTextToJson(const std::string& yaml_text);

}  // namespace ebb::spec

#endif  // EBB_SPEC_YAML_JSON_H_
