// SPDX-License-Identifier: Apache-2.0
//
// File: bench/kubernetes/phases.h
//
// The three measurements of bench_kube (issue 11), each printing its own
// report; all against the in-process API server double
// (executors/kubernetes/testing/fake_api_server.h) except where noted:
//   RunSteady    API calls per scale-loop tick with `steady_jobs` Jobs and
//                their pods Ready;
//   RunReaction  publish through ebb -> Job object on the API server, and
//                the same publish schedule through the LocalExecutor;
//   RunMemory    the KubernetesExecutor's informer caches with `jobs` Jobs
//                and `pods` pods (the double in a child process, so this
//                process's RSS holds the caches only).
// Each returns false when the measurement could not run (the reason is on
// stderr); a figure that misses its target is printed, not failed.
#ifndef EBB_BENCH_KUBERNETES_PHASES_H_
#define EBB_BENCH_KUBERNETES_PHASES_H_

#include <string>

namespace ebb::bench::kube {

struct KubeBenchOptions {
  int steady_jobs = 100;
  int ticks = 1000;
  int prompts = 200;
  int gap_ms = 50;    // mean of the Poisson gaps between publishes
  bool local = true;  // the LocalExecutor baseline of the reaction
  // The reaction's broker; "" = the trigger reads an in-process queue depth.
  std::string amqp_url;
  int jobs = 1000;          // memory
  int pods = 5000;          // memory
  int list_reps = 2;        // memory: timed List calls over the full caches
  std::string self_binary;  // this executable (the memory phase's double)
};

bool RunSteady(const KubeBenchOptions& o);
bool RunReaction(const KubeBenchOptions& o);
bool RunMemory(const KubeBenchOptions& o);

// The child side of RunMemory: serves a double loaded with `jobs` Jobs and
// `pods` pods; prints "port P jobs J pods Q job_bytes B pod_bytes C" on
// stdout, then serves until stdin closes or the parent dies.
int ServeDouble(int jobs, int pods);

}  // namespace ebb::bench::kube

#endif  // EBB_BENCH_KUBERNETES_PHASES_H_
