// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/validate_triggers.h
//
// Scaler-level checks of loaded manifests, for `ebb validate`, `ebb explain`
// and `ebb up` (run after spec::ValidateManifests). KEDA does these at
// reconcile time when it builds the scalers (reference §1.1); ebb reports them
// up front with file and line.
#ifndef EBB_SCALERS_VALIDATE_TRIGGERS_H_
#define EBB_SCALERS_VALIDATE_TRIGGERS_H_

#include "absl/status/statusor.h"
#include "scalers/scaler.h"
#include "spec/manifests.h"

namespace ebb::scalers {

// Builds the ScalerContext of trigger `index` of `job`: authParams from its
// TriggerAuthentication and the env-source container's resolved env
// (spec/resolve.h). The env is resolved best-effort (empty when the container
// or a Secret is missing; the factory then reports the missing value). Errors
// (missing TriggerAuthentication, Secret or key) never contain a secret value.
absl::StatusOr<ScalerContext> MakeScalerContext(
    const spec::ScaledJob& job, int index, const spec::Manifests& manifests);

// For every trigger of every ScaledJob in `result`, appends:
//  - error: unknown `type:`, listing the registered types;
//  - warning: unknown metadata key (KEDA silently ignores it), at the key's
//    file:line, with the nearest known key when one is close;
//  - error: each of the factory's ValidateAll() errors (InvalidArgument or
//    Unimplemented "not supported yet"), once each, at the line of the
//    metadata key it names (else the trigger's). A missing
//    TriggerAuthentication, Secret or key is left to spec validation, and the
//    trigger's other errors are still reported (all in one pass);
//  - warning: a strategy/metric pairing that starves or duplicates
//    (DESIGN.md): `default` with a count that excludes in-flight messages
//    (e.g. AMQP QueueLength) -> use `accurate`; `accurate`/`eager` with a
//    count that includes them (HTTP `messages`) -> duplicate jobs.
// Messages never contain secret values.
void ValidateTriggers(const ScalerRegistry& registry, spec::LoadResult* result);

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_VALIDATE_TRIGGERS_H_
