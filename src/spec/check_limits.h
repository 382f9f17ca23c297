// SPDX-License-Identifier: Apache-2.0
//
// File: spec/check_limits.h
//
// Internal to spec/: the checks behind spec/limits.h. Not for use outside
// src/spec/.
#ifndef EBB_SPEC_CHECK_LIMITS_H_
#define EBB_SPEC_CHECK_LIMITS_H_

#include <cstdint>
#include <string>

#include "spec/manifests.h"

namespace ebb::spec::internal {

// An error when the file at `path` is larger than kMaxManifestFileBytes
// (checked with stat, before reading). False when it is too large.
bool CheckFileSize(const std::string& path, LoadResult* out);

// The error message for one YAML document of `bytes` bytes that is over
// kMaxObjectBytes; "" when within it.
std::string ObjectSizeProblem(int64_t bytes, const std::string& kind);

// Appends an error for every container argument or environment string over
// kMaxArgStrlen, and for every container whose argv and env together exceed
// ExecBudgetBytes(). Secret-backed env values are measured, never printed.
void CheckExecLimits(LoadResult* result);

}  // namespace ebb::spec::internal

#endif  // EBB_SPEC_CHECK_LIMITS_H_
