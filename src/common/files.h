// SPDX-License-Identifier: Apache-2.0
//
// File: common/files.h
//
// File helpers with crash-safe semantics. Thread-safe (no shared state).
#ifndef EBB_COMMON_FILES_H_
#define EBB_COMMON_FILES_H_

#include <cstdint>
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

// True when `rel` is a relative path of plain '/'-separated segments: not
// empty, no leading '/', no empty, "." or ".." segment, no backslash, no NUL.
// Such a path names something below a root, never above it.
bool IsPlainRelativePath(std::string_view rel);

// Opens the regular file `rel` below the directory `root` for reading, never a
// file outside it: each component is opened with O_NOFOLLOW from the resolved
// root; a symbolic link on the way is followed only when realpath shows that
// it stays inside `root` (a link out, or one swapped in meanwhile, is
// refused). Returns the descriptor (O_CLOEXEC; the caller closes it).
// Errors: InvalidArgument (`rel` not a plain relative path), NotFound (absent,
// or not a regular file), PermissionDenied (a link leads out of `root`),
// Internal (other I/O errors). Messages name `rel`, not the root.
absl::StatusOr<int> OpenFileUnderRoot(const std::string& root,
                                      const std::string& rel);

// OpenFileUnderRoot, then reads the file: all of it, or with
// `max_tail_bytes` >= 0 only its last `max_tail_bytes` bytes.
absl::StatusOr<std::string> ReadFileUnderRoot(const std::string& root,
                                              const std::string& rel,
                                              int64_t max_tail_bytes = -1);

}  // namespace ebb

#endif  // EBB_COMMON_FILES_H_
