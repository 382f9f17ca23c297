// SPDX-License-Identifier: Apache-2.0
//
// bench_launch: launch throughput of the local executor with a no-op
// container. Creates N jobs running /bin/true through
// executors::local::LocalExecutor (each a detached supervisor process that
// forks the container), waits until List shows all Succeeded, and reports
// jobs/s for Create, for completion and end to end, plus List latency with N
// finished jobs on disk.
//
// Configurations, in this process:
//   ebb-supervise  supervisor_argv = {build/src/cli/ebb-supervise} (as `ebb up`
//                  runs jobs when that binary sits beside it);
//   ebb            {build/src/cli/ebb, "__supervise"} (the fallback);
//   test-sup       the ebb_supervisor_for_tests binary (same supervisor code),
//                  when built;
//   baseline     posix_spawn("/bin/true") + waitpid, N times: the floor.
//
// Usage: bench_launch [--n=300]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "common/log.h"
#include "executors/local/local_executor.h"
#include "tests/harness/harness.h"

extern char** environ;

namespace ebb::bench {
namespace {

struct LaunchResult {
  bool ok = false;
  int n = 0, succeeded = 0, failed = 0;
  double create_s = 0;      // all Create calls
  double e2e_s = 0;         // first Create -> List shows all finished
  double completion_s = 0;  // first job created -> last job finished (stamps)
  std::vector<double> create_lat, job_lat, list_lat;
};

executors::JobRequest NoopRequest() {
  executors::JobRequest r;
  r.scaled_job = "bench";
  r.namespace_ = "default";
  r.labels["scaledjob.keda.sh/name"] = "bench";
  r.annotations["scaledjob.keda.sh/generation"] = "1";
  spec::Container c;
  c.name = "noop";
  c.image = "busybox:1.36";
  c.command = {"/bin/true"};
  r.spec.template_.containers = {c};
  r.spec.template_.restart_policy = "Never";
  r.spec.template_.termination_grace_period_seconds = 5;
  r.spec.backoff_limit = 0;
  return r;
}

LaunchResult RunExecutor(const std::vector<std::string>& supervisor_argv,
                         int n) {
  LaunchResult res;
  res.n = n;
  const std::string dir = testing::MakeTempDir("ebb-bench-launch");
  const std::string data = dir + "/data";
  AddCleanup([dir, data] {
    KillJobs(data, "");
    RemoveTree(dir);
  });
  executors::local::LocalExecutorOptions o;
  o.data_dir = data;
  o.supervisor_argv = supervisor_argv;
  o.ebb_binary = testing::EbbBinary();
  auto ex = executors::local::LocalExecutor::Create(o);
  if (!ex.ok()) {
    std::fprintf(stderr, "%s\n", ex.status().ToString().c_str());
    return res;
  }
  const executors::JobRequest req = NoopRequest();
  const double t0 = NowSec();
  for (int i = 0; i < n; ++i) {
    const double tc = NowSec();
    auto job = (*ex)->Create(req);
    res.create_lat.push_back(NowSec() - tc);
    if (!job.ok()) {
      std::fprintf(stderr, "create %d: %s\n", i,
                   job.status().ToString().c_str());
      return res;
    }
  }
  res.create_s = NowSec() - t0;
  std::vector<executors::Job> jobs;
  for (double end = NowSec() + 120; NowSec() < end; SleepSec(0.01)) {
    const double tl = NowSec();
    auto l = (*ex)->List("default", "bench");
    res.list_lat.push_back(NowSec() - tl);
    if (!l.ok()) continue;
    int done = 0;
    for (const auto& j : *l) done += j.Finished();
    if (done == n) {
      jobs = std::move(*l);
      break;
    }
  }
  res.e2e_s = NowSec() - t0;
  if (jobs.empty()) {
    std::fprintf(stderr, "jobs did not all finish within 120 s\n");
    return res;
  }
  absl::Time first_created = absl::InfiniteFuture();
  absl::Time last_finished = absl::InfinitePast();
  for (const auto& j : jobs) {
    res.succeeded += j.state == executors::JobState::kSucceeded;
    res.failed += j.state == executors::JobState::kFailed;
    first_created = std::min(first_created, j.created);
    last_finished = std::max(last_finished, j.finished);
    res.job_lat.push_back(absl::ToDoubleSeconds(j.finished - j.created));
  }
  res.completion_s = absl::ToDoubleSeconds(last_finished - first_created);
  // List with N finished jobs on disk (what a scale loop pays per poll).
  res.list_lat.clear();
  for (int i = 0; i < 30; ++i) {
    const double tl = NowSec();
    auto l = (*ex)->List("default", "bench");
    res.list_lat.push_back(NowSec() - tl);
  }
  res.ok = true;
  return res;
}

double SpawnBaseline(int n) {
  const double t0 = NowSec();
  for (int i = 0; i < n; ++i) {
    pid_t pid;
    char arg0[] = "/bin/true";
    char* args[] = {arg0, nullptr};
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, args, environ) != 0)
      return -1;
    ::waitpid(pid, nullptr, 0);
  }
  return n / (NowSec() - t0);
}

void Report(const char* name, const LaunchResult& r, double baseline_rate) {
  std::printf("\n== %s ==\n", name);
  if (!r.ok) {
    std::printf("FAILED (see stderr)\n");
    return;
  }
  const double e2e = r.n / r.e2e_s;
  std::printf("jobs: %d succeeded, %d failed\n", r.succeeded, r.failed);
  std::printf("create:      %7.1f jobs/s  (%d Create calls in %.2f s)\n",
              r.n / r.create_s, r.n, r.create_s);
  std::printf(
      "completion:  %7.1f jobs/s  (first created -> last finished "
      "%.2f s, job stamps)\n",
      r.n / r.completion_s, r.completion_s);
  std::printf(
      "end to end:  %7.1f jobs/s  (first Create -> List shows all "
      "finished %.2f s)\n",
      e2e, r.e2e_s);
  std::printf("Create call:          %s\n",
              FormatStats(Summarize(r.create_lat)).c_str());
  std::printf("job created->finished %s\n",
              FormatStats(Summarize(r.job_lat)).c_str());
  std::printf("List with %d jobs:    %s\n", r.n,
              FormatStats(Summarize(r.list_lat)).c_str());
  std::printf(
      "target >= 200 jobs/s end to end: %s; vs bare posix_spawn "
      "%.0f/s: %.2fx of the floor\n",
      e2e >= 200 ? "met" : "MISSED", baseline_rate, e2e / baseline_rate);
}

int Main(int argc, char** argv) {
  const int n = IntFlag(argc, argv, "n", 300);
  InitLogging("warn");
  InstallSignalCleanup();
  std::printf(
      "bench_launch: N=%d jobs running /bin/true, sequential Create, "
      "then List every 10 ms until all finished\n",
      n);
  const double baseline = SpawnBaseline(n);
  std::printf(
      "\n== baseline: posix_spawn(/bin/true) + waitpid ==\n%.0f "
      "processes/s\n",
      baseline);
  auto rate = [n](const LaunchResult& r) {
    return r.ok && r.e2e_s > 0 ? n / r.e2e_s : 0;
  };
  const std::string product =
      std::filesystem::path(testing::EbbBinary()).parent_path() /
      "ebb-supervise";
  LaunchResult prod = RunExecutor({product}, n);
  Report("LocalExecutor, supervisor `ebb-supervise` (as `ebb up` runs jobs)",
         prod, baseline);
  LaunchResult ebb = RunExecutor({testing::EbbBinary(), "__supervise"}, n);
  Report("LocalExecutor, supervisor `ebb __supervise` (fallback)", ebb,
         baseline);
  const std::string test_sup = EBB_BENCH_SUPERVISOR_FOR_TESTS;
  LaunchResult small;
  if (!test_sup.empty()) {
    small = RunExecutor({test_sup}, n);
    Report("LocalExecutor, supervisor ebb_supervisor_for_tests", small,
           baseline);
  }
  if (prod.ok && ebb.ok)
    std::printf("\nratio end to end: ebb-supervise / ebb __supervise = %.2f\n",
                rate(prod) / rate(ebb));
  if (prod.ok && small.ok)
    std::printf("ratio end to end: ebb-supervise / test supervisor = %.2f\n",
                rate(prod) / rate(small));
  RunCleanups();
  return prod.ok && ebb.ok ? 0 : 1;
}

}  // namespace
}  // namespace ebb::bench

int main(int argc, char** argv) { return ebb::bench::Main(argc, argv); }
