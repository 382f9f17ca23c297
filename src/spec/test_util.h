// SPDX-License-Identifier: Apache-2.0
//
// File: spec/test_util.h
//
// Helpers shared by the spec tests (test-only).
#ifndef EBB_SPEC_TEST_UTIL_H_
#define EBB_SPEC_TEST_UTIL_H_

#include <string>

#include "spec/manifests.h"

namespace ebb::spec::testing {

inline std::string SourcePath(const std::string& relative) {
  return std::string(EBB_SOURCE_DIR) + "/" + relative;
}

inline std::string SeedPath() {
  return SourcePath("examples/stable-diffusion/manifests.yaml");
}

// Parses, normalizes and validates `yaml` as if it were the file "t.yaml".
inline LoadResult LoadText(const std::string& yaml) {
  LoadResult r;
  ParseManifests(yaml, "t.yaml", &r);
  for (ScaledJob& job : r.manifests.scaled_jobs) NormalizeScaledJob(&job);
  ValidateManifests(&r);
  return r;
}

inline std::string AllDiagnostics(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

}  // namespace ebb::spec::testing

#endif  // EBB_SPEC_TEST_UTIL_H_
