// SPDX-License-Identifier: Apache-2.0
//
// File: common/names.h
//
// Kubernetes' name rules (DNS-1123), for every name that becomes a path or an
// object name: namespaces and container names are labels, Job names are
// subdomains (as kubectl checks them). Each validator returns InvalidArgument
// naming `what`, the value (quoted, truncated) and the rule it broke.
//
// Thread-safe (pure functions).
#ifndef EBB_COMMON_NAMES_H_
#define EBB_COMMON_NAMES_H_

#include <string>

#include "absl/status/status.h"

namespace ebb {

inline constexpr size_t kDns1123LabelMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;

// A DNS-1123 label: 1-63 characters of [a-z0-9-], starting and ending with an
// alphanumeric ("default", "worker-1"). Namespaces, container names.
absl::Status ValidateDns1123Label(const std::string& value,
                                  const std::string& what);

// A DNS-1123 subdomain: 1-253 characters, dot-separated labels of [a-z0-9-]
// each starting and ending with an alphanumeric ("stable-diff-job-x7k2p").
// Job names.
absl::Status ValidateDns1123Subdomain(const std::string& value,
                                      const std::string& what);

}  // namespace ebb

#endif  // EBB_COMMON_NAMES_H_
