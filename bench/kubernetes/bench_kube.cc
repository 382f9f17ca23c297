// SPDX-License-Identifier: Apache-2.0
//
// bench_kube: the Kubernetes executor against the API server double (issue
// 11; printed and recorded in BENCHMARKS.md §9, not asserted, not in CI):
//   memory    informer caches with 1,000 Jobs and 5,000 pods (phases.h);
//   steady    API calls per tick at steady state with 100 Jobs;
//   reaction  publish through ebb -> Job object on the API server, with the
//             LocalExecutor over the same schedule as the baseline.
// The memory phase runs first, in a child process of its own (this binary
// with --steady=0 --reaction=0) when other phases run too: its caches and
// their transient list buffers leave the process large, which would slow the
// LocalExecutor's forks in the reaction phase.
//
// Usage: bench_kube [--memory=1] [--steady=1] [--reaction=1]
//                   [--jobs=1000] [--pods=5000] [--list_reps=2]
//                   [--steady_jobs=100] [--ticks=1000]
//                   [--prompts=200] [--gap_ms=50] [--local=1] [--rabbitmq=1]
// --rabbitmq=0: the trigger reads an in-process depth (no broker needed);
// --local=0: no LocalExecutor baseline. The broker is EBB_TEST_AMQP_URL or a
// private node (scripts/rabbitmq.sh), as for bench_reaction.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "bench/kubernetes/phases.h"
#include "common/log.h"

extern char** environ;

namespace ebb::bench::kube {
namespace {

// RunMemory in a fresh process of this binary; its report goes to stdout.
bool RunMemoryApart(const KubeBenchOptions& o) {
  std::vector<std::string> args = {o.self_binary,
                                   "--steady=0",
                                   "--reaction=0",
                                   absl::StrCat("--jobs=", o.jobs),
                                   absl::StrCat("--pods=", o.pods),
                                   absl::StrCat("--list_reps=", o.list_reps)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = -1;
  if (posix_spawn(&pid, o.self_binary.c_str(), nullptr, nullptr, argv.data(),
                  environ) != 0) {
    return false;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int Main(int argc, char** argv) {
  if (IntFlag(argc, argv, "serve_double", 0) == 1) {
    return ServeDouble(IntFlag(argc, argv, "jobs", 1000),
                       IntFlag(argc, argv, "pods", 5000));
  }
  KubeBenchOptions o;
  o.steady_jobs = IntFlag(argc, argv, "steady_jobs", o.steady_jobs);
  o.ticks = IntFlag(argc, argv, "ticks", o.ticks);
  o.prompts = IntFlag(argc, argv, "prompts", o.prompts);
  o.gap_ms = IntFlag(argc, argv, "gap_ms", o.gap_ms);
  o.local = IntFlag(argc, argv, "local", 1) != 0;
  o.jobs = IntFlag(argc, argv, "jobs", o.jobs);
  o.pods = IntFlag(argc, argv, "pods", o.pods);
  o.list_reps = IntFlag(argc, argv, "list_reps", o.list_reps);
  const bool memory = IntFlag(argc, argv, "memory", 1) != 0;
  const bool steady = IntFlag(argc, argv, "steady", 1) != 0;
  const bool reaction = IntFlag(argc, argv, "reaction", 1) != 0;
  const bool rabbitmq = IntFlag(argc, argv, "rabbitmq", 1) != 0;
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 1;
  o.self_binary.assign(self, len);

  InitLogging("warn");
  InstallSignalCleanup();
  Broker broker;  // outlives RunCleanups()
  std::printf(
      "bench_kube: KubernetesExecutor against the API server double "
      "(http on loopback); nproc %ld, pid %d\n",
      sysconf(_SC_NPROCESSORS_ONLN), static_cast<int>(getpid()));
  bool ok = true;
  if (memory) {
    ok = (steady || reaction) ? RunMemoryApart(o) : RunMemory(o);
  }
  if (steady) ok = RunSteady(o) && ok;
  if (reaction) {
    if (rabbitmq) {
      if (broker.Start()) {
        o.amqp_url = broker.url();
      } else {
        std::fprintf(stderr, "no RabbitMQ broker (use --rabbitmq=0)\n");
        ok = false;
      }
    }
    if (!rabbitmq || !o.amqp_url.empty()) ok = RunReaction(o) && ok;
  }
  RunCleanups();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace ebb::bench::kube

int main(int argc, char** argv) { return ebb::bench::kube::Main(argc, argv); }
