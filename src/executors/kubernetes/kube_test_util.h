// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/kube_test_util.h
//
// Test helpers for the Kubernetes executor: the seed's ScaledJob as a
// JobRequest, pods in given states, and condition waits with a deadline.
#ifndef EBB_EXECUTORS_KUBERNETES_KUBE_TEST_UTIL_H_
#define EBB_EXECUTORS_KUBERNETES_KUBE_TEST_UTIL_H_

#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "executors/executor.h"
#include "nlohmann/json.hpp"
#include "spec/manifests.h"

namespace ebb::executors::kubernetes::testing {

inline std::string SeedPath() {
  return std::string(EBB_SOURCE_DIR) +
         "/examples/stable-diffusion/manifests.yaml";
}

// The request BuildJobRequest makes for the seed's ScaledJob.
inline JobRequest SeedRequest(const std::string& uid = "") {
  auto loaded = spec::LoadManifests({SeedPath()});
  const spec::ScaledJob* sj =
      loaded->manifests.FindScaledJob("stable-diff-job");
  JobRequest r = BuildJobRequest(*sj, loaded->manifests).value();
  r.scaled_job_uid = uid;
  return r;
}

// Polls `done` every 5 ms until true or 10 s pass.
inline bool WaitFor(const std::function<bool()>& done,
                    absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// A pod of `job` (as the Job controller would make it) with `status`.
inline nlohmann::json PodFor(const nlohmann::json& job, const std::string& name,
                             const nlohmann::json& status) {
  const auto& meta = job["metadata"];
  return {{"metadata",
           {{"name", name},
            {"namespace", meta["namespace"]},
            {"labels",
             {{"job-name", meta["name"]},
              {"controller-uid", meta["uid"]},
              {"scaledjob.keda.sh/name",
               meta["labels"]["scaledjob.keda.sh/name"]}}},
            {"ownerReferences",
             {{{"apiVersion", "batch/v1"},
               {"kind", "Job"},
               {"name", meta["name"]},
               {"uid", meta["uid"]},
               {"controller", true}}}}}},
          {"spec", {{"containers", {{{"name", "stable-diffusion-worker"}}}}}},
          {"status", status}};
}

inline nlohmann::json UnschedulableStatus() {
  return {{"phase", "Pending"},
          {"conditions",
           {{{"type", "PodScheduled"},
             {"status", "False"},
             {"reason", "Unschedulable"},
             {"message",
              "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}}}}};
}

inline nlohmann::json ReadyStatus() {
  return {
      {"phase", "Running"},
      {"conditions",
       {{{"type", "PodScheduled"}, {"status", "True"}},
        {{"type", "Ready"},
         {"status", "True"},
         {"lastTransitionTime", "2026-01-01T00:00:10Z"}}}},
      {"containerStatuses",
       {{{"name", "stable-diffusion-worker"},
         {"ready", true},
         {"restartCount", 0},
         {"state", {{"running", {{"startedAt", "2026-01-01T00:00:05Z"}}}}}}}}};
}

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_KUBE_TEST_UTIL_H_
