// SPDX-License-Identifier: Apache-2.0
//
// File: common/ids.h
//
// Identifiers. Thread-safe.
#ifndef EBB_COMMON_IDS_H_
#define EBB_COMMON_IDS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ebb {

// A random RFC 4122 version-4 UUID in lowercase hex, e.g.
// "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c". Seeded from std::random_device.
std::string NewUuid();

// A random lowercase alphanumeric suffix of `n` characters, as Kubernetes adds
// to generateName ("stable-diff-job-" + "x7k2p").
std::string RandomSuffix(int n);

// 64-bit FNV-1a hash: stable across runs and machines (used to derive seeds).
uint64_t StableHash(std::string_view data);

}  // namespace ebb

#endif  // EBB_COMMON_IDS_H_
