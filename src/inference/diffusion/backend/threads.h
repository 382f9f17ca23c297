// SPDX-License-Identifier: Apache-2.0
//
// File: inference/diffusion/backend/threads.h
//
// How many compute threads a worker job uses: its CPU limit, as Kubernetes
// and automaxprocs read it. In order:
//   1. EBB_CPU_LIMIT: the container's `resources.limits.cpu` as written in
//      the ScaledJob (a Kubernetes CPU quantity: "2", "1.5", "500m"); the
//      local executor sets it;
//   2. the cgroup v2 quota, /sys/fs/cgroup/cpu.max ("QUOTA PERIOD", or
//      "max PERIOD" = none): what a Kubernetes pod's limit becomes;
//   3. the online CPUs.
// A limit is rounded down (1.5 CPUs = 1 thread: a second thread would be
// throttled), at least 1, at most the online CPUs.
//
// Pure functions except ThreadsForThisJob (reads the environment and
// /sys); thread-safe.
#ifndef EBB_INFERENCE_DIFFUSION_BACKEND_THREADS_H_
#define EBB_INFERENCE_DIFFUSION_BACKEND_THREADS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ebb::inference::diffusion {

// CPUs of a Kubernetes CPU quantity: "2" = 2, "1.5" = 1.5, "500m" = 0.5.
// InvalidArgument for anything else (negative, empty, other suffixes).
absl::StatusOr<double> ParseCpuQuantity(const std::string& quantity);

struct ThreadChoice {
  int threads = 1;
  // Where it came from, for the start-up log: "EBB_CPU_LIMIT=2",
  // "cgroup cpu.max 150000 100000", "4 online CPUs".
  std::string source;
};

// The rule above. `cpu_limit`: EBB_CPU_LIMIT (nullopt = unset; an invalid one
// is skipped, named in `source`); `cpu_max`: the text of cpu.max (nullopt =
// unreadable); `online`: online CPUs (>= 1).
ThreadChoice ChooseThreads(const std::optional<std::string>& cpu_limit,
                           const std::optional<std::string>& cpu_max,
                           int online);

// ChooseThreads with this process's environment, cgroup and CPUs.
ThreadChoice ThreadsForThisJob();

}  // namespace ebb::inference::diffusion

#endif  // EBB_INFERENCE_DIFFUSION_BACKEND_THREADS_H_
