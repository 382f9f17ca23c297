// SPDX-License-Identifier: Apache-2.0
//
// File: spec/limits.h
//
// The size limits ebb applies to manifests, so that what `ebb validate`
// accepts is what a cluster accepts and what Linux can exec. Enforced by
// LoadManifests (file size, before parsing), ParseManifests (object size,
// Secret data, YAML nesting) and ValidateManifests (exec limits); each
// violation is an error Diagnostic naming the file, line, field, the size and
// the limit, never a value.
//
// Choices (README "Limits"):
//  - One object (one YAML document) is at most 1 MiB of text. etcd refuses a
//    request over 1.5 MiB, and Kubernetes caps a Secret's or ConfigMap's data
//    at 1 MiB; ebb takes the stricter 1 MiB for every object so that no
//    manifest it accepts is refused by a cluster, and no one value can make
//    `ebb up` slow or large.
//  - A Secret's data (decoded `data` values plus `stringData` values) totals
//    at most 1 MiB, Kubernetes' MaxSecretSize.
//  - A manifest file is at most 8 MiB, checked before it is read, so a huge
//    file costs nothing.
//  - Linux's exec limits: each argument or environment string ("NAME=value"
//    plus its NUL) at most MAX_ARG_STRLEN = 131072 bytes, and all of a
//    container's strings plus their pointers within ARG_MAX (sysconf) minus
//    kExecReserveBytes for the variables ebb adds (EBB_*, PATH, HOME, ...).
//  - YAML nesting: yaml-cpp's parser stops at about kMaxYamlDepth levels
//    (instead of overflowing its stack); ebb reports that as "nested too
//    deeply" with the line, not yaml-cpp's "bad file".
#ifndef EBB_SPEC_LIMITS_H_
#define EBB_SPEC_LIMITS_H_

#include <cstdint>
#include <string>

namespace ebb::spec {

inline constexpr int64_t kMaxManifestFileBytes = int64_t{8} << 20;
inline constexpr int64_t kMaxObjectBytes = int64_t{1} << 20;
inline constexpr int64_t kMaxSecretDataBytes = int64_t{1} << 20;
inline constexpr int64_t kMaxArgStrlen = 131072;  // Linux MAX_ARG_STRLEN
inline constexpr int64_t kExecReserveBytes = int64_t{64} << 10;
// yaml-cpp 0.7 stops after 1000 recursions, two per level of nesting.
inline constexpr int kMaxYamlDepth = 500;

// ARG_MAX of this machine (sysconf(_SC_ARG_MAX); 2 MiB when unknown) minus
// kExecReserveBytes: what one container's argv and env may use in total,
// counting each string's bytes, its NUL and its pointer.
int64_t ExecBudgetBytes();

// "1 MiB (1048576 bytes)", "131072 bytes": a limit as messages print it.
std::string DescribeBytes(int64_t bytes);

}  // namespace ebb::spec

#endif  // EBB_SPEC_LIMITS_H_
