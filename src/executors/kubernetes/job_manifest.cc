// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/job_manifest.h"

#include "absl/strings/str_cat.h"
#include "spec/yaml_json.h"

namespace ebb::executors::kubernetes {

using Json = nlohmann::json;

absl::StatusOr<Json> BuildJobManifest(const JobRequest& request,
                                      const JobManifestOptions& options) {
  std::string text = request.spec.raw_json;
  if (text.empty()) {
    auto converted = spec::YamlTextToJson(request.spec.raw_yaml);
    if (!converted.ok()) return converted.status();
    text = *converted;
  }
  Json spec = Json::parse(text, nullptr, false);
  const std::string what =
      absl::StrCat("ScaledJob ", request.namespace_, "/", request.scaled_job);
  if (spec.is_discarded() || !spec.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": spec.jobTargetRef is not a mapping"));
  }
  if (!spec.contains("template") || !spec["template"].is_object() ||
      !spec["template"].contains("spec") ||
      !spec["template"]["spec"].is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": spec.jobTargetRef.template.spec is missing"));
  }
  const std::string prefix = request.scaled_job + "-";
  Json& tmpl = spec["template"];
  if (!tmpl.contains("metadata") || !tmpl["metadata"].is_object()) {
    tmpl["metadata"] = Json::object();
  }
  tmpl["metadata"]["generateName"] = prefix;
  tmpl["metadata"]["labels"][kScaledJobLabel] = request.scaled_job;
  Json& pod = tmpl["spec"];
  if (!pod.contains("restartPolicy") || pod["restartPolicy"].is_null() ||
      pod["restartPolicy"] == "") {
    pod["restartPolicy"] = "OnFailure";
  }
  if (options.add_extra_env && !request.extra_env.empty() &&
      pod.contains("containers") && pod["containers"].is_array()) {
    for (Json& c : pod["containers"]) {
      if (!c.is_object()) continue;
      if (!c.contains("env") || !c["env"].is_array()) c["env"] = Json::array();
      for (const auto& [k, v] : request.extra_env) {
        bool set = false;
        for (const Json& e : c["env"]) set |= e.value("name", "") == k;
        if (!set) c["env"].push_back({{"name", k}, {"value", v}});
      }
    }
  }

  Json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  Json& meta = job["metadata"];
  meta["generateName"] = prefix;
  meta["namespace"] = request.namespace_;
  meta["labels"] = request.labels;
  meta["annotations"] = request.annotations;
  if (!request.scaled_job_uid.empty()) {
    meta["ownerReferences"] = Json::array({{{"apiVersion", "keda.sh/v1alpha1"},
                                            {"kind", "ScaledJob"},
                                            {"name", request.scaled_job},
                                            {"uid", request.scaled_job_uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
  }
  job["spec"] = std::move(spec);
  return job;
}

}  // namespace ebb::executors::kubernetes
