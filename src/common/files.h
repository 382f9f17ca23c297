// SPDX-License-Identifier: Apache-2.0
//
// File: common/files.h
//
// File helpers with crash-safe semantics. Thread-safe (no shared state).
#ifndef EBB_COMMON_FILES_H_
#define EBB_COMMON_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ebb {

// Reads a whole file. NotFound if it does not exist; Internal on other I/O
// errors.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically and durably: a temp file in the same
// directory, fsync, rename over `path`, fsync of the directory. A reader sees
// either the old content or the new, never a mix. Creates missing parent
// directories.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data);

// mkdir -p. OK if it already exists.
absl::Status MakeDirs(const std::string& path);

}  // namespace ebb

#endif  // EBB_COMMON_FILES_H_
