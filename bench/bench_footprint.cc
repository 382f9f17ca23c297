// SPDX-License-Identifier: Apache-2.0
//
// bench_footprint: what an idle `ebb up` costs. 10 ScaledJobs (the seed's,
// with distinct names and queues) at pollingInterval 1 against the bench
// broker, queues empty. After a warm-up, /proc/<pid>/status (VmRSS, RssAnon,
// RssFile, Threads) and /proc/<pid>/stat utime+stime are sampled once a
// second. The API is not called while sampling.
// Baseline, in this process: the seed itself (1 ScaledJob, pollingInterval 5).
//
// Usage: bench_footprint [--seconds=30] [--warmup=5]
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "common/log.h"
#include "tests/harness/harness.h"

namespace ebb::bench {
namespace {

struct Footprint {
  bool ok = false;
  double rss_mb = 0, rss_max_mb = 0, anon_mb = 0, file_mb = 0;
  double pss_mb = 0;
  long threads = 0;
  double cpu_pct = 0;        // of one core (clock_getcpuclockid, ns)
  double cpu_ticks_pct = 0;  // the same from /proc/<pid>/stat (10 ms ticks)
};

// The seed's Secrets and TriggerAuthentication, then `n` copies of its
// ScaledJob named stable-diff-job-<i> on queue <prefix>-<i>.
std::string ManyScaledJobs(const std::string& url, int n, int interval,
                           const std::vector<std::string>& queues) {
  std::string seed = SeedManifests(url, "QUEUE", 250, interval);
  std::vector<std::string> docs = absl::StrSplit(seed, "\n---\n");
  std::string scaled_job = docs.back();
  docs.pop_back();
  for (int i = 0; i < n; ++i) {
    docs.push_back(absl::StrReplaceAll(
        scaled_job, {{"name: stable-diff-job\n",
                      absl::StrCat("name: stable-diff-job-", i, "\n")},
                     {"queueName: QUEUE", "queueName: " + queues[i]}}));
  }
  return absl::StrJoin(docs, "\n---\n");
}

Footprint Measure(const std::string& url, int n, int interval, int warmup,
                  int seconds) {
  Footprint f;
  const std::string dir = testing::MakeTempDir("ebb-bench-footprint");
  AddCleanup([dir] { RemoveTree(dir); });
  std::vector<std::string> queues;
  const std::string prefix = testing::UniqueName("idle");
  for (int i = 0; i < n; ++i) {
    queues.push_back(absl::StrCat(prefix, "-", i));
    if (!DeclareQueue(url, queues.back())) {
      std::fprintf(stderr, "cannot declare %s\n", queues.back().c_str());
      return f;
    }
  }
  std::string manifests = n == 1 ? SeedManifests(url, queues[0], 4, interval)
                                 : ManyScaledJobs(url, n, interval, queues);
  WriteFile(dir + "/manifests.yaml", manifests);
  WriteFile(dir + "/ebb-local.yaml",
            "images:\n"
            "  - image: ghcr.io/kedify/stable-diffusion-worker\n"
            "    command: [\"/bin/true\"]\n"
            "  - image: minio/mc\n"
            "    skip: true\n");
  auto up = std::make_shared<EbbUpProcess>(dir, dir + "/manifests.yaml",
                                           dir + "/ebb-local.yaml");
  AddCleanup([up] { up->Stop(); });
  if (!up->Start()) {
    std::fprintf(stderr, "ebb up did not start:\n%s\n", up->log().c_str());
    return f;
  }
  SleepSec(warmup);
  const pid_t pid = up->pid();
  const long hz = ::sysconf(_SC_CLK_TCK);
  std::vector<double> rss, anon, file, pss;
  const double t0 = NowSec();
  const long long c0 = ProcCpuTicks(pid);
  const double s0 = ProcCpuSeconds(pid);
  for (int i = 0; i < seconds; ++i) {
    SleepSec(t0 + i + 1 - NowSec());
    rss.push_back(ProcStatusKb(pid, "VmRSS") / 1024.0);
    anon.push_back(ProcStatusKb(pid, "RssAnon") / 1024.0);
    file.push_back(ProcStatusKb(pid, "RssFile") / 1024.0);
    pss.push_back(ProcPssKb(pid) / 1024.0);
  }
  const long long c1 = ProcCpuTicks(pid);
  const double s1 = ProcCpuSeconds(pid);
  const double wall = NowSec() - t0;
  f.threads = ProcStatusKb(pid, "Threads");
  // Every loop must be polling its queue without error.
  auto after = up->Get("/api/v1/scaledjobs");
  int healthy = 0;
  if (after.is_array() || after.is_object()) {
    const auto& list = after.is_array() ? after : after["scaledJobs"];
    for (const auto& s : list)
      if (!s["last"].is_null() && !s["last"].contains("error")) ++healthy;
  }
  std::printf("  %d/%d scale loops polling without error\n", healthy, n);
  Stats r = Summarize(rss);
  f.rss_mb = r.p50;
  f.rss_max_mb = r.max;
  f.anon_mb = Summarize(anon).p50;
  f.file_mb = Summarize(file).p50;
  f.pss_mb = Summarize(pss).p50;
  f.cpu_ticks_pct = 100.0 * static_cast<double>(c1 - c0) / hz / wall;
  f.cpu_pct = 100.0 * (s1 - s0) / wall;
  f.ok = c0 >= 0 && c1 >= 0 && s0 >= 0 && s1 >= 0;
  up->Stop();
  for (const auto& q : queues) DrainQueue(url, q);
  return f;
}

void Report(const char* name, const Footprint& f) {
  std::printf("== %s ==\n", name);
  if (!f.ok) {
    std::printf("FAILED (see stderr)\n");
    return;
  }
  std::printf(
      "  VmRSS median %.1f MB (max %.1f): RssAnon %.1f MB + RssFile "
      "%.1f MB; threads %ld\n",
      f.rss_mb, f.rss_max_mb, f.anon_mb, f.file_mb, f.threads);
  std::printf("  Pss %.1f MB (shared library pages split among their users)\n",
              f.pss_mb);
  std::printf("  CPU %.3f %% of one core (utime+stime ticks: %.2f %%)\n",
              f.cpu_pct, f.cpu_ticks_pct);
}

int Main(int argc, char** argv) {
  const int seconds = IntFlag(argc, argv, "seconds", 30);
  const int warmup = IntFlag(argc, argv, "warmup", 5);
  InitLogging("warn");
  InstallSignalCleanup();
  Broker broker;
  if (!broker.Start()) {
    std::fprintf(stderr, "no RabbitMQ broker\n");
    RunCleanups();
    return 1;
  }
  std::printf(
      "bench_footprint: idle `ebb up`, warm-up %d s, then %d samples "
      "1 s apart\n",
      warmup, seconds);
  Footprint base = Measure(broker.url(), 1, 5, warmup, seconds);
  Report("baseline: the seed (1 ScaledJob, pollingInterval 5)", base);
  Footprint ten = Measure(broker.url(), 10, 1, warmup, seconds);
  Report("10 ScaledJobs, pollingInterval 1", ten);
  if (base.ok && ten.ok) {
    std::printf("ratio vs baseline: RSS %.2fx, CPU %.1fx\n",
                ten.rss_mb / base.rss_mb,
                base.cpu_pct > 0 ? ten.cpu_pct / base.cpu_pct : 0.0);
    std::printf(
        "target RSS <= 15 MB: %s (%.1f MB); CPU <= 1 %%: %s (%.2f %%)\n",
        ten.rss_mb <= 15 ? "met" : "MISSED", ten.rss_mb,
        ten.cpu_pct <= 1 ? "met" : "MISSED", ten.cpu_pct);
  }
  RunCleanups();
  return base.ok && ten.ok ? 0 : 1;
}

}  // namespace
}  // namespace ebb::bench

int main(int argc, char** argv) { return ebb::bench::Main(argc, argv); }
