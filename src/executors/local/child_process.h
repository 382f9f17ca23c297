// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/child_process.h
//
// fork/exec of one container (or readiness probe) process for the supervisor.
// Never runs a shell. Called only from the single-threaded supervisor.
#ifndef EBB_EXECUTORS_LOCAL_CHILD_PROCESS_H_
#define EBB_EXECUTORS_LOCAL_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "executors/local/job_files.h"

namespace ebb::executors::local {

// The fd number a notify-readiness container gets its pipe on (EBB_READY_FD).
inline constexpr int kReadyFd = 3;

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] searched in PATH if it has no '/'
  std::vector<std::string> env;   // "NAME=value"
  // Used instead of `env` when the bind mounts below cannot be made (it then
  // carries EBB_VOLUME_<NAME>=<host dir>).
  std::vector<std::string> fallback_env;
  std::string cwd;     // "" = inherit
  int output_fd = -1;  // stdout+stderr; -1 = /dev/null
  int ready_fd = -1;   // when >= 0, becomes fd kReadyFd in the child
  // Bind mounts made in a private mount namespace (needs root).
  std::vector<MountSpec> mounts;
  // When > 0, the child first joins the mount namespace of this pid (so a
  // probe sees what its container sees). Failure is ignored.
  pid_t join_mount_ns_of = 0;
};

// Starts the process in its own process group (pgid = pid), with
// PR_SET_PDEATHSIG SIGKILL (it dies if the supervisor dies), default signal
// dispositions, an empty signal mask, stdin from /dev/null and no other
// inherited descriptors. Returns its pid once exec has succeeded. When the
// child cannot exec (or chdir), it reports why through a close-on-exec pipe:
// FailedPrecondition with that reason ("cannot run /bin/x: Argument list too
// long"; also written to output_fd), the child already reaped.
// ResourceExhausted when pipe or fork fails.
absl::StatusOr<pid_t> StartChild(const ChildOptions& options);

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_CHILD_PROCESS_H_
