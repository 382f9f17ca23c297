// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/job_manifest.h
//
// The batch/v1 Job KEDA's generateJobs creates for a ScaledJob (reference
// keda-scaledjob.md §6), built from a JobRequest (executor.h):
//   metadata.generateName "<scaledjob>-" (the API server adds 5 characters),
//   metadata.namespace, KEDA's labels and annotations as BuildJobRequest made
//   them (generation annotation included), and, when the request carries the
//   ScaledJob's uid, an ownerReference to it (keda.sh/v1alpha1 ScaledJob,
//   controller and blockOwnerDeletion true) so deleting the ScaledJob
//   cascades;
//   spec = the jobTargetRef as written (spec/yaml_json.h types), with
//   template.metadata.generateName "<scaledjob>-", the template label
//   scaledjob.keda.sh/name, and restartPolicy OnFailure when empty.
// Nothing else is added: KEDA injects no env, and neither does this unless
// `add_extra_env` (then each container gets the request's extra_env entries
// it does not set itself, e.g. EBB_ATTEMPT_LIMIT for `ebb worker`). Secrets
// stay secretKeyRefs for the kubelet: request.env (resolved values) is not
// used.
#ifndef EBB_EXECUTORS_KUBERNETES_JOB_MANIFEST_H_
#define EBB_EXECUTORS_KUBERNETES_JOB_MANIFEST_H_

#include "absl/status/statusor.h"
#include "executors/executor.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

inline constexpr char kScaledJobLabel[] = "scaledjob.keda.sh/name";

struct JobManifestOptions {
  bool add_extra_env = false;
};

// InvalidArgument when the jobTargetRef is not a JSON/YAML mapping or has no
// template.spec.
absl::StatusOr<nlohmann::json> BuildJobManifest(
    const JobRequest& request, const JobManifestOptions& options = {});

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_JOB_MANIFEST_H_
