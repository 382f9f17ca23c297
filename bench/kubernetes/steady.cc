// SPDX-License-Identifier: Apache-2.0
//
// Steady state: the seed's ScaledJob (maxReplicaCount raised) over the
// KubernetesExecutor and the API server double. The first poll creates
// `steady_jobs` Jobs (queue depth = steady_jobs); the double then gets, as the
// Job controller and kubelet would write them, each Job's status and one
// Ready pod. Once the executor has seen every event, `ticks` polls run back
// to back with the depth unchanged (nothing to create): the API requests the
// double served during them, per verb, are the figure (target: 0 lists per
// tick once watching).
#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/bench_util.h"
#include "bench/kubernetes/kube_objects.h"
#include "bench/kubernetes/phases.h"
#include "common/clock.h"
#include "controller/scale_loop.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "metrics/metrics.h"
#include "scalers/testing/fake_scaler.h"
#include "spec/manifests.h"
#include "tests/harness/harness.h"

namespace ebb::bench::kube {
namespace {

using executors::kubernetes::InformerStats;
using executors::kubernetes::KubernetesExecutor;
using executors::kubernetes::KubernetesExecutorOptions;
using executors::kubernetes::testing::FakeApiServer;
using executors::kubernetes::testing::LabelSelector;
using Json = nlohmann::json;

constexpr const char* kVerbs[] = {"list",   "watch", "get",   "create",
                                  "update", "patch", "delete"};

// Polls `done` every 2 ms until true or `seconds` pass.
bool Await(const std::function<bool()>& done, double seconds) {
  for (const double end = NowSec() + seconds; !done(); SleepSec(0.002)) {
    if (NowSec() > end) return false;
  }
  return true;
}

void PrintRequests(const FakeApiServer& server, const int before[], int ticks) {
  std::printf("  requests during the ticks, per verb:");
  for (size_t i = 0; i < std::size(kVerbs); ++i) {
    std::printf(" %s %d", kVerbs[i],
                server.Requests(kVerbs[i], "") - before[i]);
  }
  const int all = server.Requests("", "") - before[std::size(kVerbs)];
  std::printf("\n  all requests: %d in %d ticks = %.3f per tick\n", all, ticks,
              static_cast<double>(all) / ticks);
}

}  // namespace

bool RunSteady(const KubeBenchOptions& o) {
  const int n = o.steady_jobs;
  std::printf("\n== steady state: %d Jobs with Ready pods, %d ticks ==\n", n,
              o.ticks);
  FakeApiServer server;
  if (absl::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "API server double: %s\n", s.ToString().c_str());
    return false;
  }
  auto loaded = spec::LoadManifests(
      {testing::SourceDir() + "/examples/stable-diffusion/manifests.yaml"});
  if (!loaded.ok() || loaded->HasErrors()) {
    std::fprintf(stderr, "cannot load the seed's manifests\n");
    return false;
  }
  auto manifests = std::make_shared<spec::Manifests>(loaded->manifests);
  spec::ScaledJob sj = *manifests->FindScaledJob(kScaledJob);
  sj.max_replica_count = n + 10;

  KubernetesExecutorOptions eo;
  eo.config.server = server.url();
  KubernetesExecutor executor(eo);
  executor.SetPendingPodConditions(kNamespace, kScaledJob,
                                   sj.scaling_strategy.pending_pod_conditions);
  std::atomic<double> depth{static_cast<double>(n)};
  std::vector<controller::TriggerBinding> bindings;
  bindings.push_back(
      {.name = "rabbitmq", .type = "rabbitmq", .index = 0, .build = [&depth]() {
         return scalers::FakeQueueScalerFactory(&depth).Create({});
       }});
  metrics::Registry metrics;
  controller::ScaleLoop loop(sj, manifests, std::move(bindings), executor,
                             *Clock::Real(), metrics,
                             controller::ScaleLoopOptions{});

  // Setup: the first poll creates the Jobs; the "cluster" runs them.
  const double setup0 = NowSec();
  controller::PollRecord first = loop.Poll("start");
  const double create_s = NowSec() - setup0;
  if (!first.jobs_listed || first.created != n) {
    std::fprintf(stderr, "first poll created %d of %d Jobs: %s\n",
                 first.created, n, first.error.c_str());
    return false;
  }
  std::vector<Json> jobs =
      server.store().List("jobs", kNamespace, LabelSelector());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string name = jobs[i]["metadata"]["name"];
    server.store().Update("jobs", kNamespace, name, CompleteJob);
    server.store().Put("pods", kNamespace,
                       RealisticPod(jobs[i], static_cast<int>(i), true));
  }
  // Every watch event applied: n Jobs ADDED (after Create's own cache
  // write), n MODIFIED (status), n pods ADDED; every Job Running.
  const bool settled = Await(
      [&] {
        if (executor.stats().events < 3 * n) return false;
        auto listed = executor.List(kNamespace, kScaledJob);
        if (!listed.ok() || static_cast<int>(listed->size()) != n) return false;
        for (const auto& j : *listed) {
          if (j.state != executors::JobState::kRunning) return false;
        }
        return true;
      },
      30);
  if (!settled || server.OpenWatches() < 2) {
    std::fprintf(stderr, "the executor did not see %d Running Jobs in 30 s\n",
                 n);
    return false;
  }
  const InformerStats at_start = executor.stats();
  std::printf(
      "setup: first poll created %d Jobs in %.2f s (%s per Create); "
      "double served %d requests: create %d, list %d, watch %d\n",
      n, create_s, Ms(create_s / n).c_str(), server.Requests("", ""),
      server.Requests("create", ""), server.Requests("list", ""),
      server.Requests("watch", ""));

  int before[std::size(kVerbs) + 1];
  for (size_t i = 0; i < std::size(kVerbs); ++i)
    before[i] = server.Requests(kVerbs[i], "");
  before[std::size(kVerbs)] = server.Requests("", "");
  std::vector<double> tick_s;
  tick_s.reserve(o.ticks);
  int created = 0, unlisted = 0;
  const double cpu0 = ProcCpuSeconds(getpid());
  const double t0 = NowSec();
  for (int t = 0; t < o.ticks; ++t) {
    const double s = NowSec();
    controller::PollRecord r = loop.Poll("interval");
    tick_s.push_back(NowSec() - s);
    created += r.created;
    if (!r.jobs_listed) ++unlisted;
  }
  const double wall = NowSec() - t0;
  const double cpu = ProcCpuSeconds(getpid()) - cpu0;
  const InformerStats after = executor.stats();

  std::printf(
      "%d ticks in %.3f s wall, %.3f CPU-s (this process: loop, "
      "informers and the double)\n",
      o.ticks, wall, cpu);
  PrintRequests(server, before, o.ticks);
  std::printf(
      "  informers (jobs + pods), during the ticks: lists %lld, watches "
      "%lld, relists %lld, events %lld; since start: lists %lld, watches "
      "%lld\n",
      static_cast<long long>(after.lists - at_start.lists),
      static_cast<long long>(after.watches - at_start.watches),
      static_cast<long long>(after.relists - at_start.relists),
      static_cast<long long>(after.events - at_start.events),
      static_cast<long long>(after.lists),
      static_cast<long long>(after.watches));
  std::printf("  tick (Poll: trigger read, List from the caches, decide): %s\n",
              FormatStats(Summarize(tick_s)).c_str());
  std::printf(
      "  CPU per tick %.1f us; Jobs created during the ticks %d; "
      "ticks that could not list %d\n",
      cpu / o.ticks * 1e6, created, unlisted);
  const int lists = server.Requests("list", "") - before[0];
  std::printf(
      "target 0 lists per tick once watching: %s (%d lists in %d "
      "ticks)\n",
      lists == 0 ? "met" : "MISSED", lists, o.ticks);
  return created == 0 && unlisted == 0;
}

}  // namespace ebb::bench::kube
