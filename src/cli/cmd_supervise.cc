// SPDX-License-Identifier: Apache-2.0
// Hidden `ebb __supervise JOB_DIR`: the local executor's per-job supervisor.
#include <signal.h>

#include "cli/commands.h"
#include "executors/local/supervisor.h"

namespace ebb::cli {

int RunSupervise(const std::string& job_dir) {
  // `ebb up` blocks its signals in every thread; a fork inherits that mask.
  // The supervisor needs them delivered.
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  return executors::local::RunSupervisor(job_dir);
}

}  // namespace ebb::cli
