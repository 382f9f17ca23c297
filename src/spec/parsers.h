// SPDX-License-Identifier: Apache-2.0
//
// File: spec/parsers.h
//
// Internal to spec/: one parser per object kind, called by ParseManifests for
// each YAML document. Each appends diagnostics to the context and fills the
// struct as far as the input allows; none throws on bad input (the caller
// still catches yaml-cpp exceptions as a last resort).
#ifndef EBB_SPEC_PARSERS_H_
#define EBB_SPEC_PARSERS_H_

#include <map>
#include <optional>
#include <string>

#include "spec/manifests.h"
#include "spec/parse_util.h"
#include "yaml-cpp/yaml.h"

namespace ebb::spec::internal {

using FieldLocations = std::map<std::string, SourceLocation>;

// ObjectMeta: name (required, error when missing), namespace, labels,
// annotations, generation, uid.
struct ObjectMeta {
  std::string name;
  std::optional<std::string> namespace_;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<int64_t> generation;
  std::string uid;  // "" when not given (manifests from files)
};
ObjectMeta ParseObjectMeta(ParseContext* ctx, const YAML::Node& doc,
                           const std::string& kind);

void ParseSecret(ParseContext* ctx, const YAML::Node& doc, Secret* secret);
void ParseTriggerAuthentication(ParseContext* ctx, const YAML::Node& doc,
                                const std::string& kind,
                                TriggerAuthentication* ta);
void ParseScaledJob(ParseContext* ctx, const YAML::Node& doc, ScaledJob* job);

// `node` is jobTargetRef at dotted path `path`; records field locations.
void ParseJobSpec(ParseContext* ctx, const YAML::Node& node,
                  const std::string& path, JobSpec* spec,
                  FieldLocations* locations);

}  // namespace ebb::spec::internal

#endif  // EBB_SPEC_PARSERS_H_
