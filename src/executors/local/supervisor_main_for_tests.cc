// SPDX-License-Identifier: Apache-2.0
//
// ebb_supervisor_for_tests DIR: the supervisor as its own binary, so the local
// executor's tests need not link the whole cli (which runs it as the hidden
// `ebb __supervise DIR`).
#include <cstdio>

#include "executors/local/supervisor.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s JOB_DIR\n", argv[0]);
    return 2;
  }
  return ebb::executors::local::RunSupervisor(argv[1]);
}
