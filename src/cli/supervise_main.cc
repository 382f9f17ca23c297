// SPDX-License-Identifier: Apache-2.0
//
// `ebb-supervise JOB_DIR`: the local executor's per-job supervisor as a small
// binary of its own. `ebb up` starts one per job; the full `ebb` binary would
// cost ~10 ms of dynamic loading per job (BENCHMARKS.md), this one a quarter of
// that. `ebb __supervise JOB_DIR` does the same where this binary is absent.
#include <signal.h>

#include <cstdio>

#include "executors/local/supervisor.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: %s JOB_DIR\n(started by `ebb up`, not by hand)\n",
                 argv[0]);
    return 2;
  }
  // `ebb up` blocks its signals in every thread; a fork inherits that mask.
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  return ebb::executors::local::RunSupervisor(argv[1]);
}
