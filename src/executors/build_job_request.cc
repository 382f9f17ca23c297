// SPDX-License-Identifier: Apache-2.0
//
// BuildJobRequest: KEDA's job labels and annotations (reference §6) and the
// resolved env of every container.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "executors/executor.h"
#include "spec/resolve.h"

#ifndef EBB_VERSION
#define EBB_VERSION "0.1.0"
#endif

namespace ebb::executors {
namespace {

constexpr char kExcludedLabels[] = "scaledjob.keda.sh/job-excluded-labels";

std::set<std::string> ExcludedLabels(const spec::ScaledJob& job) {
  std::set<std::string> out;
  auto it = job.annotations.find(kExcludedLabels);
  if (it == job.annotations.end()) return out;
  for (absl::string_view part : absl::StrSplit(it->second, ',')) {
    absl::string_view name = absl::StripAsciiWhitespace(part);
    if (!name.empty()) out.insert(std::string(name));
  }
  return out;
}

}  // namespace

absl::StatusOr<JobRequest> BuildJobRequest(const spec::ScaledJob& job,
                                           const spec::Manifests& manifests) {
  JobRequest req;
  req.scaled_job = job.name;
  req.namespace_ = job.namespace_;
  req.scaled_job_uid = job.uid;
  req.labels = {
      {"app.kubernetes.io/name", job.name},
      {"app.kubernetes.io/version", EBB_VERSION},
      {"app.kubernetes.io/part-of", job.name},
      {"app.kubernetes.io/managed-by", "keda-operator"},
      {"scaledjob.keda.sh/name", job.name},
  };
  std::set<std::string> excluded = ExcludedLabels(job);
  for (const auto& [k, v] : job.labels) {
    if (excluded.count(k) == 0) req.labels[k] = v;
  }
  req.annotations["scaledjob.keda.sh/generation"] =
      absl::StrCat(job.generation);
  for (const auto& [k, v] : job.annotations) req.annotations[k] = v;

  req.pending_pod_conditions = job.scaling_strategy.pending_pod_conditions;
  req.spec = job.job_target_ref;
  req.spec.template_.labels["scaledjob.keda.sh/name"] = job.name;
  if (req.spec.template_.restart_policy.empty())
    req.spec.template_.restart_policy = "OnFailure";

  for (const spec::Container& c : req.spec.template_.containers) {
    auto resolved = spec::ResolveContainerEnv(c, job.namespace_, manifests);
    if (!resolved.ok()) {
      return Annotate(resolved.status(),
                      absl::StrCat("ScaledJob ", job.namespace_, "/", job.name,
                                   " container ", c.name));
    }
    std::vector<std::pair<std::string, std::string>>& env = req.env[c.name];
    std::set<std::string> seen;
    for (const spec::EnvVar& e : c.env) {
      auto it = resolved->find(e.name);
      if (it == resolved->end() || !seen.insert(e.name).second) continue;
      env.emplace_back(e.name, it->second);
    }
  }
  return req;
}

}  // namespace ebb::executors
