// SPDX-License-Identifier: Apache-2.0
//
// File: spec/known_keys.h
//
// Internal to spec/: the field names each manifest object may carry. "Known"
// keys are the ones ebb reads; "tolerated" keys are legitimate Kubernetes or
// KEDA fields ebb passes through (to the Kubernetes executor via raw_yaml) or
// ignores, and are never warned about. Anything else gets an "unknown field"
// warning with the nearest name.
#ifndef EBB_SPEC_KNOWN_KEYS_H_
#define EBB_SPEC_KNOWN_KEYS_H_

#include <string>
#include <vector>

namespace ebb::spec::internal {

using KeyList = std::vector<std::string>;

const KeyList& ObjectKeys();         // apiVersion, kind, metadata, ...
const KeyList& ObjectMetaKeys();     // metadata.*
const KeyList& SecretKeys();         // top level of a v1 Secret
const KeyList& ScaledJobSpecKeys();  // ScaledJob spec
const KeyList& ScalingStrategyKeys();
const KeyList& RolloutKeys();
const KeyList& TriggerKeys();
const KeyList& AuthenticationRefKeys();
const KeyList& TriggerAuthSpecKeys();         // supported by ebb
const KeyList& TriggerAuthUnsupportedKeys();  // KEDA's, not supported yet
const KeyList& SecretTargetRefKeys();
const KeyList& AuthEnvKeys();

const KeyList& JobSpecKeys();         // read
const KeyList& JobSpecTolerated();    // batch/v1 JobSpec, passed through
const KeyList& PodTemplateKeys();     // metadata, spec
const KeyList& PodSpecKeys();         // read
const KeyList& PodSpecTolerated();    // core/v1 PodSpec, passed through
const KeyList& ContainerKeys();       // read
const KeyList& ContainerTolerated();  // core/v1 Container, passed through
const KeyList& EnvVarKeys();
const KeyList& EnvVarSourceKeys();  // valueFrom.*
const KeyList& SecretKeySelectorKeys();
const KeyList& VolumeMountKeys();
const KeyList& VolumeMountTolerated();
const KeyList& ProbeKeys();
const KeyList& ExecActionKeys();
const KeyList& VolumeSourceKeys();  // every core/v1 volume source
const KeyList& EmptyDirKeys();

}  // namespace ebb::spec::internal

#endif  // EBB_SPEC_KNOWN_KEYS_H_
