// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/testing/job_validation.h"

#include <string>

namespace ebb::executors::kubernetes::testing {
namespace {

using Json = nlohmann::json;

void Add(Json& causes, const std::string& reason, const std::string& field,
         const std::string& message) {
  causes.push_back(
      {{"reason", reason}, {"message", message}, {"field", field}});
}

const Json* Path(const Json& o, std::initializer_list<const char*> keys) {
  const Json* cur = &o;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

}  // namespace

Json ValidateJob(const Json& job) {
  Json causes = Json::array();
  const Json* name = Path(job, {"metadata", "name"});
  const Json* gen = Path(job, {"metadata", "generateName"});
  if ((name == nullptr || name->get<std::string>().empty()) &&
      (gen == nullptr || gen->get<std::string>().empty())) {
    Add(causes, "FieldValueRequired", "metadata.name",
        "Required value: name or generateName is required");
  }
  const Json* pod = Path(job, {"spec", "template", "spec"});
  const Json* containers =
      pod == nullptr ? nullptr : Path(*pod, {"containers"});
  if (containers == nullptr || !containers->is_array() || containers->empty()) {
    Add(causes, "FieldValueRequired", "spec.template.spec.containers",
        "Required value");
  } else {
    for (size_t i = 0; i < containers->size(); ++i) {
      const Json& c = (*containers)[i];
      const std::string at =
          "spec.template.spec.containers[" + std::to_string(i) + "]";
      if (!c.is_object() || c.value("name", "").empty()) {
        Add(causes, "FieldValueRequired", at + ".name", "Required value");
      }
      if (!c.is_object() || c.value("image", "").empty()) {
        Add(causes, "FieldValueRequired", at + ".image", "Required value");
      }
    }
  }
  const Json* policy = pod == nullptr ? nullptr : Path(*pod, {"restartPolicy"});
  const std::string p = policy != nullptr && policy->is_string()
                            ? policy->get<std::string>()
                            : "";
  if (p.empty()) {
    Add(causes, "FieldValueRequired", "spec.template.spec.restartPolicy",
        "Required value: valid values: \"OnFailure\", \"Never\"");
  } else if (p != "OnFailure" && p != "Never") {
    Add(causes, "FieldValueNotSupported", "spec.template.spec.restartPolicy",
        "Unsupported value: \"" + p +
            "\": supported values: \"OnFailure\", \"Never\"");
  }
  return causes;
}

void DefaultJob(Json& job) {
  const std::string uid = job["metadata"].value("uid", "");
  const std::string name = job["metadata"].value("name", "");
  Json& spec = job["spec"];
  if (!spec.contains("selector")) {
    spec["selector"] = {
        {"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  }
  Json& labels = spec["template"]["metadata"]["labels"];
  labels["controller-uid"] = uid;
  labels["job-name"] = name;
  labels["batch.kubernetes.io/controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = name;
  if (!spec.contains("backoffLimit")) spec["backoffLimit"] = 6;
  if (!spec.contains("completions")) spec["completions"] = 1;
  if (!spec.contains("parallelism")) spec["parallelism"] = 1;
  if (!job.contains("status")) job["status"] = Json::object();
}

}  // namespace ebb::executors::kubernetes::testing
