// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/namespaced_executor.h"

#include <set>

namespace ebb::executors::kubernetes::cluster {

absl::StatusOr<std::vector<Job>> NamespacedExecutor::List(
    const std::string& ns, const std::string& scaled_job) {
  if (!ns.empty()) return inner().List(ns, scaled_job);
  std::vector<Job> out;
  std::set<std::string> seen;
  for (const std::string& each : namespaces_()) {
    if (!seen.insert(each).second) continue;
    auto jobs = inner().List(each, scaled_job);
    if (!jobs.ok()) return jobs.status();
    for (Job& j : *jobs) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace ebb::executors::kubernetes::cluster
