// SPDX-License-Identifier: Apache-2.0
//
// Memory: what the KubernetesExecutor's informer caches cost with `jobs` Jobs
// and `pods` pods of the seed's ScaledJob (kube_objects.h: realistic sizes,
// every pod Running and Ready). The double runs in a child process (this
// binary with --serve_double), so this process's RSS and heap hold only the
// executor: RSS (VmRSS) and glibc heap in use (mallinfo2) before the executor
// exists and after its first List (both informers listed and watching), also
// after malloc_trim (what the list's transient buffers left behind), per
// object; the first List's time; the time of a List (one tick's read) over
// that many objects. Then each informer alone, as the executor configures
// it, for the split between Jobs and pods (and what SlimPod saves).
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/kubernetes/kube_objects.h"
#include "bench/kubernetes/phases.h"
#include "executors/kubernetes/informer.h"
#include "executors/kubernetes/job_manifest.h"
#include "executors/kubernetes/job_status.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/testing/fake_api_server.h"

extern char** environ;

namespace ebb::bench::kube {
namespace {

using executors::kubernetes::Informer;
using executors::kubernetes::InformerOptions;
using executors::kubernetes::KubeClient;
using executors::kubernetes::KubernetesExecutor;
using executors::kubernetes::KubernetesExecutorOptions;
using Json = nlohmann::json;

struct Mem {
  long rss_kb = 0;
  long hwm_kb = 0;
  double heap = 0;  // bytes in use by malloc (all arenas, mmapped chunks)
};

Mem Sample() {
  Mem m;
  m.rss_kb = ProcStatusKb(getpid(), "VmRSS");
  m.hwm_kb = ProcStatusKb(getpid(), "VmHWM");
  struct mallinfo2 mi = mallinfo2();
  m.heap = static_cast<double>(mi.uordblks + mi.hblkhd);
  return m;
}

std::string MB(double bytes) { return absl::StrFormat("%.1f MB", bytes / 1e6); }

// The child serving the double: its pid and the stdin pipe that keeps it up.
struct Child {
  pid_t pid = -1;
  int keep_fd = -1;
  int port = 0;
  double job_bytes = 0, pod_bytes = 0;
};

bool SpawnDouble(const KubeBenchOptions& o, Child* child) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const std::string jobs = absl::StrCat("--jobs=", o.jobs);
  const std::string pods = absl::StrCat("--pods=", o.pods);
  std::vector<char*> argv = {const_cast<char*>(o.self_binary.c_str()),
                             const_cast<char*>("--serve_double=1"),
                             const_cast<char*>(jobs.c_str()),
                             const_cast<char*>(pods.c_str()), nullptr};
  const int rc = posix_spawn(&child->pid, o.self_binary.c_str(), &fa, nullptr,
                             argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return false;
  }
  child->keep_fd = in[1];
  const pid_t pid = child->pid;
  const int keep = in[1];
  AddCleanup([pid, keep] {
    close(keep);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  });
  FILE* f = fdopen(out[0], "r");
  char line[256] = {0};
  const bool got = fgets(line, sizeof line, f) != nullptr;
  fclose(f);
  int jobs_n = 0, pods_n = 0;
  return got && std::sscanf(line,
                            "port %d jobs %d pods %d job_bytes %lf "
                            "pod_bytes %lf",
                            &child->port, &jobs_n, &pods_n, &child->job_bytes,
                            &child->pod_bytes) == 5;
}

void StopDouble(Child* child) {
  close(child->keep_fd);
  int status = 0;
  waitpid(child->pid, &status, 0);
}

// One informer as the executor configures it; heap bytes its cache holds.
void InformerAlone(KubeClient& client, const char* what, InformerOptions opts,
                   size_t expected) {
  malloc_trim(0);
  const Mem m0 = Sample();
  auto inf = std::make_unique<Informer>(&client, opts);
  const double t0 = NowSec();
  inf->Start();
  absl::Status s = inf->WaitSynced(absl::Seconds(120));
  const double list_s = NowSec() - t0;
  // Once watching, the list's response and parse tree are freed.
  for (const double end = NowSec() + 10;
       inf->stats().watches < 1 && NowSec() < end; SleepSec(0.01)) {
  }
  malloc_trim(0);
  const Mem m1 = Sample();
  const double copy0 = NowSec();
  const size_t n = inf->Snapshot().size();  // what List copies every tick
  const double copy_s = NowSec() - copy0;
  inf.reset();
  if (!s.ok() || n != expected) {
    std::printf("  %-34s FAILED: %s (%zu of %zu)\n", what, s.ToString().c_str(),
                n, expected);
    return;
  }
  const double d = m1.heap - m0.heap;
  std::printf(
      "  %-34s %6zu objects, list %7.1f ms, heap %s = %6.0f B each, "
      "Snapshot %6.1f ms\n",
      what, n, list_s * 1000, MB(d).c_str(), d / n, copy_s * 1000);
}

}  // namespace

int ServeDouble(int jobs, int pods) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  executors::kubernetes::testing::FakeApiServerOptions so;
  so.history_limit = static_cast<size_t>(jobs + pods) + 1000;
  executors::kubernetes::testing::FakeApiServer server(so);
  auto manifest = SeedJobManifest();
  if (!manifest.ok()) {
    std::fprintf(stderr, "%s\n", manifest.status().ToString().c_str());
    return 1;
  }
  double job_bytes = 0, pod_bytes = 0;
  int pod_index = 0;
  for (int i = 0; i < jobs; ++i) {
    auto job =
        server.store().Create("jobs", kNamespace, *manifest, CompleteJob);
    if (!job.ok()) return 1;
    job_bytes += job->dump().size();
    // Spread the pods evenly; the first Jobs take the remainder.
    const int mine = pods / jobs + (i < pods % jobs ? 1 : 0);
    for (int p = 0; p < mine; ++p) {
      const Json pod = server.store().Put(
          "pods", kNamespace, RealisticPod(*job, pod_index++, true));
      pod_bytes += pod.dump().size();
    }
  }
  if (!server.Start().ok()) return 1;
  std::printf("port %d jobs %d pods %d job_bytes %.0f pod_bytes %.0f\n",
              server.port(), jobs, pods, job_bytes / std::max(jobs, 1),
              pod_bytes / std::max(pod_index, 1));
  std::fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  server.Stop();
  return 0;
}

bool RunMemory(const KubeBenchOptions& o) {
  std::printf("\n== memory: informer caches with %d Jobs and %d pods ==\n",
              o.jobs, o.pods);
  Child child;
  const double spawn0 = NowSec();
  if (!SpawnDouble(o, &child)) {
    std::fprintf(stderr, "the double's child process did not start\n");
    return false;
  }
  std::printf(
      "double (child process) loaded in %.1f s: Job %.0f B, pod %.0f B of "
      "JSON each (as stored, managedFields included); %s of JSON in all\n",
      NowSec() - spawn0, child.job_bytes, child.pod_bytes,
      MB(o.jobs * child.job_bytes + o.pods * child.pod_bytes).c_str());

  KubernetesExecutorOptions eo;
  eo.config.server = absl::StrCat("http://127.0.0.1:", child.port);
  eo.sync_timeout = absl::Seconds(120);
  malloc_trim(0);
  const Mem m0 = Sample();
  auto executor = std::make_unique<KubernetesExecutor>(eo);
  const double cpu0 = ProcCpuSeconds(getpid());
  const double t0 = NowSec();
  auto listed = executor->List(kNamespace, kScaledJob);
  const double first_list = NowSec() - t0;
  const double first_cpu = ProcCpuSeconds(getpid()) - cpu0;
  if (!listed.ok() || static_cast<int>(listed->size()) != o.jobs) {
    std::fprintf(stderr, "first List: %s\n",
                 listed.ok() ? absl::StrCat(listed->size(), " Jobs").c_str()
                             : listed.status().ToString().c_str());
    StopDouble(&child);
    return false;
  }
  listed->clear();
  listed->shrink_to_fit();
  for (const double end = NowSec() + 10;
       executor->stats().watches < 2 && NowSec() < end; SleepSec(0.01)) {
  }
  const Mem m1 = Sample();
  malloc_trim(0);
  const Mem m2 = Sample();

  std::vector<double> tick_s;
  const double tick_cpu0 = ProcCpuSeconds(getpid());
  for (int i = 0; i < o.list_reps; ++i) {
    const double s = NowSec();
    auto jobs = executor->List(kNamespace, kScaledJob);
    tick_s.push_back(NowSec() - s);
  }
  const double tick_cpu =
      (ProcCpuSeconds(getpid()) - tick_cpu0) / std::max(o.list_reps, 1);

  const double objects = o.jobs + o.pods;
  const double rss = (m1.rss_kb - m0.rss_kb) * 1024.0;
  const double rss_trim = (m2.rss_kb - m0.rss_kb) * 1024.0;
  const double heap = m2.heap - m0.heap;
  std::printf(
      "first List (both informers list, decode, cache): %.0f ms "
      "wall, %.2f CPU-s\n",
      first_list * 1000, first_cpu);
  std::printf(
      "RSS before the executor %ld kB; after sync %ld kB; after "
      "malloc_trim %ld kB; peak (VmHWM) %ld kB\n",
      m0.rss_kb, m1.rss_kb, m2.rss_kb, m1.hwm_kb);
  std::printf(
      "RSS delta:               %s = %.0f B per object (%.0f "
      "objects)\n",
      MB(rss).c_str(), rss / objects, objects);
  std::printf("RSS delta after trim:    %s = %.0f B per object\n",
              MB(rss_trim).c_str(), rss_trim / objects);
  std::printf("heap in use (mallinfo2): %s = %.0f B per object\n",
              MB(heap).c_str(), heap / objects);
  std::printf(
      "List (one tick's read) over %d Jobs x %d pods: %s; CPU %.1f "
      "ms a call\n",
      o.jobs, o.pods, FormatStats(Summarize(tick_s)).c_str(), tick_cpu * 1000);
  executor.reset();

  std::printf("each informer alone (heap after malloc_trim):\n");
  KubeClient client(eo.config);
  InformerOptions jobs;
  jobs.path = absl::StrCat("/apis/batch/v1/namespaces/", kNamespace, "/jobs");
  jobs.label_selector = executors::kubernetes::kScaledJobLabel;
  jobs.resource = "jobs.batch";
  jobs.namespace_ = kNamespace;
  InformerAlone(client, "jobs (whole objects, as cached)", jobs, o.jobs);
  InformerOptions pods = jobs;
  pods.path = absl::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
  pods.resource = "pods";
  pods.transform = executors::kubernetes::SlimPod;
  InformerAlone(client, "pods (SlimPod, as cached)", pods, o.pods);
  pods.transform = nullptr;
  InformerAlone(client, "pods (whole objects, for scale)", pods, o.pods);
  StopDouble(&child);
  return true;
}

}  // namespace ebb::bench::kube
