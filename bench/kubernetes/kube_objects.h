// SPDX-License-Identifier: Apache-2.0
//
// File: bench/kubernetes/kube_objects.h
//
// Jobs and pods of the seed's ScaledJob as a real API server returns them,
// for loading the API server double with realistic sizes: the Job is the one
// job_manifest.h makes for examples/stable-diffusion/manifests.yaml, with
// what the API server and the Job controller add (defaults, selector,
// template labels, status, managedFields); a pod is that Job's template with
// what the scheduler, the service-account admission and the kubelet add
// (nodeName, the kube-api-access projected volume, tolerations, five
// conditions, two containerStatuses, managedFields): about 4-5 KB of JSON,
// as `kubectl get pod -o json` shows for such a pod.
#ifndef EBB_BENCH_KUBERNETES_KUBE_OBJECTS_H_
#define EBB_BENCH_KUBERNETES_KUBE_OBJECTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ebb::bench::kube {

inline constexpr char kNamespace[] = "stable-diff";
inline constexpr char kScaledJob[] = "stable-diff-job";

// The manifest KubernetesExecutor::Create POSTs for the seed's ScaledJob
// (generateName, no name yet). Error when the seed cannot be loaded.
absl::StatusOr<nlohmann::json> SeedJobManifest();

// For FakeApiStore::Create's `defaults`: the double's Job defaulting
// (DefaultJob), then what a real server and the Job controller add to a
// running Job (completionMode, suspend, template defaults, status with one
// active and ready pod, managedFields of the creator and of the controller).
void CompleteJob(nlohmann::json& job);

// Pod `index` of `job` (a stored Job: name and uid set), Running and Ready
// when `ready`, else Pending and Unschedulable.
nlohmann::json RealisticPod(const nlohmann::json& job, int index, bool ready);

// Go's managedFields `fieldsV1` for `value`: "f:<key>" per field, list
// entries keyed by name as "k:{\"name\":\"...\"}".
nlohmann::json FieldsV1(const nlohmann::json& value);

}  // namespace ebb::bench::kube

#endif  // EBB_BENCH_KUBERNETES_KUBE_OBJECTS_H_
