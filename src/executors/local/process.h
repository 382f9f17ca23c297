// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/process.h
//
// Process helpers for the local executor: identity of a process across pid
// reuse, and spawning a detached process (the job supervisor).
// Thread-safe; SpawnDetached is safe to call from a multi-threaded process
// (the child only makes async-signal-safe calls before exec).
#ifndef EBB_EXECUTORS_LOCAL_PROCESS_H_
#define EBB_EXECUTORS_LOCAL_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::executors::local {

// Start time of `pid` (field 22 of /proc/<pid>/stat, clock ticks after boot).
// NotFound when there is no such process or it is a zombie (already dead).
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);

// True when `pid` is alive and is the same process that had `start_time`
// (start_time 0 = only check that the pid is alive).
bool ProcessAlive(pid_t pid, uint64_t start_time);

// Starts argv[0] (a path; not searched in PATH) with `argv` as a detached
// daemon: double fork + setsid, so it is neither the caller's child (no
// zombie) nor in its session (survives the caller's death and terminal
// signals). stdin is /dev/null; stdout and stderr append to `log_path`.
// Signal mask and dispositions are reset to defaults; no other descriptors are
// inherited. Returns the daemon's pid once exec has succeeded; an error
// (naming argv[0]) when fork or exec failed.
absl::StatusOr<pid_t> SpawnDetached(const std::vector<std::string>& argv,
                                    const std::string& log_path);

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_PROCESS_H_
