// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/render.h
//
// `ebb render`: the exact Job the Kubernetes executor would create for a
// ScaledJob (job_manifest.h), as JSON or YAML, without a cluster. Secrets
// need not be in the files: the Job keeps its secretKeyRefs.
#ifndef EBB_EXECUTORS_KUBERNETES_RENDER_H_
#define EBB_EXECUTORS_KUBERNETES_RENDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "executors/kubernetes/job_manifest.h"
#include "nlohmann/json.hpp"
#include "spec/manifests.h"

namespace ebb::executors::kubernetes {

// The Job for ScaledJob `name` ("" = the only one; InvalidArgument naming
// them when there are several, NotFound when none matches). `uid`, when
// given, makes the ownerReference.
absl::StatusOr<nlohmann::json> RenderJob(
    const spec::Manifests& manifests, const std::string& name,
    const std::string& uid = "", const JobManifestOptions& options = {});

// Block-style YAML of `value`; strings that YAML would read as another type
// (numbers, booleans, null, or with special characters) are double-quoted,
// so the YAML reads back to the same JSON.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_RENDER_H_
