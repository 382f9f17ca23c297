// SPDX-License-Identifier: Apache-2.0
//
// File: spec/resolve.h
//
// Resolution of the values a scaler reads (reference §1.3): a trigger's
// authParams from its TriggerAuthentication (env refs first, then
// secretTargetRef, later ones overwriting earlier ones for the same parameter),
// and `<param>FromEnv` values from the job template container's env
// (envSourceContainerName, else the first container), with
// `valueFrom.secretKeyRef` resolved against the loaded Secrets.
//
// Pure functions over a loaded Manifests; thread-compatible.
#ifndef EBB_SPEC_RESOLVE_H_
#define EBB_SPEC_RESOLVE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "spec/manifests.h"

namespace ebb::spec {

// Environment of `container` as the job would see it: each `value` as written,
// each secretKeyRef resolved. A missing Secret or key is NotFound naming the
// Secret and key (never the value) unless the ref is optional, in which case
// the variable is left out.
absl::StatusOr<std::map<std::string, std::string>> ResolveContainerEnv(
    const Container& container, const std::string& ns,
    const Manifests& manifests);

// The container whose env feeds `*FromEnv` and TriggerAuthentication.env:
// `name` when non-empty, else envSourceContainerName, else the first container.
// NotFound when there is no such container.
absl::StatusOr<const Container*> EnvSourceContainer(
    const ScaledJob& job, const std::string& name = "");

// authParams of `trigger` (empty map when it has no authenticationRef).
// NotFound when the TriggerAuthentication, a Secret or a key does not exist
// (message names the object and the key, never a value).
absl::StatusOr<std::map<std::string, std::string>> ResolveAuthParams(
    const ScaledJob& job, const ScaleTrigger& trigger,
    const Manifests& manifests);

}  // namespace ebb::spec

#endif  // EBB_SPEC_RESOLVE_H_
