// SPDX-License-Identifier: Apache-2.0
//
// Reaction: a prompt published through ebb -> its Job exists, with the
// seed's ScaledJob (rabbitmq trigger on the bench's broker, unique queue,
// maxReplicaCount >= prompts, pollingInterval 5) under a Controller, as `ebb
// up` runs it: each publish is followed by WakeQueue (what the API's
// Submitter does), so the loop polls at once. Nothing consumes the queue, so
// queue length = prompts published and the default strategy creates one Job
// per prompt (as in bench_reaction).
//
// The same Poisson publish schedule runs twice in this process:
//   kubernetes  KubernetesExecutor -> the API server double; the Job's time
//               is its ADDED event in the double's store (it exists on the
//               API server), and when Create returned (the POST's answer);
//   local       LocalExecutor with ebb-supervise, the worker image mapped to
//               a process that stamps its own start (BENCHMARKS.md §1); its
//               times are Create returned (job dir written, supervisor
//               forked) and the job process running.
// The i-th publish is paired with the i-th Job (both sorted).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "bench/kubernetes/kube_objects.h"
#include "bench/kubernetes/phases.h"
#include "controller/controller.h"
#include "executors/forwarding_executor.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "executors/local/local_executor.h"
#include "metrics/metrics.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "scalers/rabbitmq/rabbitmq_scaler.h"
#include "scalers/testing/fake_scaler.h"
#include "tests/harness/harness.h"

namespace ebb::bench::kube {
namespace {

using executors::Executor;
using executors::ForwardingExecutor;
using executors::Job;
using executors::JobRequest;
using executors::kubernetes::testing::FakeApiServer;
using executors::kubernetes::testing::LabelSelector;

constexpr int kPollingInterval = 5;
constexpr char kDefaultAmqp[] = "amqp://guest:guest@127.0.0.1:5672/";

// Forwards to `inner` and stamps the time each Create returned OK.
class TimingExecutor : public ForwardingExecutor {
 public:
  explicit TimingExecutor(Executor& inner) : ForwardingExecutor(inner) {}
  absl::StatusOr<Job> Create(const JobRequest& request) override {
    auto job = ForwardingExecutor::Create(request);
    const double t = NowSec();
    if (job.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      created_.push_back(t);
    }
    return job;
  }
  std::vector<double> created() const {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> created_;
};

// Records the time of every Job ADDED to the double's store.
class AddedJobs {
 public:
  explicit AddedJobs(FakeApiServer& server) : server_(server) {
    rv_ = server.store().resource_version();
    thread_ = std::thread([this] { Run(); });
  }
  ~AddedJobs() {
    stop_ = true;
    server_.store().Notify();
    thread_.join();
  }
  std::vector<double> times() const {
    std::lock_guard<std::mutex> lock(mu_);
    return times_;
  }

 private:
  void Run() {
    while (!stop_) {
      auto events = server_.store().WaitEvents(
          "jobs", kNamespace, LabelSelector(), &rv_, absl::Milliseconds(200),
          [this] { return stop_.load(); });
      const double t = NowSec();
      if (!events.ok()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& e : *events) {
        if (e.type == "ADDED") times_.push_back(t);
      }
    }
  }
  FakeApiServer& server_;
  int64_t rv_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<double> times_;
  std::thread thread_;
};

struct Run {
  bool ok = false;
  std::vector<double> published, rtt;
  std::vector<double> created;  // Create returned
  std::vector<double> exists;   // kube: ADDED in the double; local: running
  std::vector<double> poll_s;   // polls that created Jobs: their duration
  int wake_polls = 0, interval_polls = 0;
  double cpu_s = 0, wall_s = 0;
};

// Publishes through RabbitMQ (with confirm), or bumps an in-process depth.
class Publisher {
 public:
  static std::unique_ptr<Publisher> Open(const std::string& amqp_url,
                                         std::atomic<double>* depth) {
    auto p = std::make_unique<Publisher>();
    p->depth_ = depth;
    if (amqp_url.empty()) return p;
    queue::RabbitMqOptions o;
    o.url = amqp_url;
    o.connection_name = "bench-kube-publisher";
    auto mq = queue::RabbitMqQueue::Connect(o);
    if (!mq.ok()) {
      std::fprintf(stderr, "RabbitMQ: %s\n", mq.status().ToString().c_str());
      return nullptr;
    }
    p->mq_ = std::move(*mq);
    return p;
  }
  absl::Status Publish(const std::string& queue, int i) {
    if (!mq_) {
      *depth_ = *depth_ + 1;
      return absl::OkStatus();
    }
    queue::OutgoingMessage m;
    m.body = nlohmann::json(
                 {{"prompt", absl::StrCat("bench prompt ", i)}, {"count", 1}})
                 .dump();
    return mq_->Publish(queue, m);
  }

 private:
  std::unique_ptr<queue::RabbitMqQueue> mq_;
  std::atomic<double>* depth_ = nullptr;
};

// One pass of the publish schedule through a Controller over `executor`;
// `exists` gives the per-Job "it exists" times seen so far.
Run RunOnce(const KubeBenchOptions& o, const std::string& amqp_url,
            const std::string& dir, Executor& executor,
            const std::function<std::vector<double>()>& exists) {
  Run run;
  const std::string queue = testing::UniqueName("bench-kube");
  if (!amqp_url.empty()) {
    AddCleanup([amqp_url, queue] { DrainQueue(amqp_url, queue); });
    if (!DeclareQueue(amqp_url, queue)) {
      std::fprintf(stderr, "cannot declare queue %s\n", queue.c_str());
      return run;
    }
  }
  const std::string path = dir + "/manifests.yaml";
  WriteFile(path,
            SeedManifests(amqp_url.empty() ? kDefaultAmqp : amqp_url, queue,
                          std::max(250, o.prompts + 10), kPollingInterval));
  auto loaded = spec::LoadManifests({path});
  if (!loaded.ok() || loaded->HasErrors()) {
    std::fprintf(stderr, "cannot load %s\n", path.c_str());
    return run;
  }
  auto manifests = std::make_shared<spec::Manifests>(loaded->manifests);
  std::atomic<double> depth{0};
  scalers::ScalerRegistry registry;
  if (amqp_url.empty()) {
    manifests->scaled_jobs[0].triggers[0].type = "q";
    registry.Register(
        std::make_unique<scalers::FakeQueueScalerFactory>(&depth));
  } else {
    registry.Register(scalers::NewRabbitMqScalerFactory());
  }
  auto publisher = Publisher::Open(amqp_url, &depth);
  if (!publisher) return run;

  TimingExecutor timing(executor);
  metrics::Registry metrics;
  std::mutex mu;
  std::condition_variable cv;
  int polls = 0;
  controller::ControllerOptions copts;
  copts.on_poll = [&](const std::string&, const controller::PollRecord& r) {
    std::lock_guard<std::mutex> lock(mu);
    ++polls;
    if (r.cause == "wake") ++run.wake_polls;
    if (r.cause == "interval") ++run.interval_polls;
    if (r.created > 0) run.poll_s.push_back(r.duration_ms / 1000.0);
    cv.notify_all();
  };
  auto ctl = controller::Controller::Create(manifests, registry, timing,
                                            metrics, copts);
  if (!ctl.ok()) {
    std::fprintf(stderr, "controller: %s\n", ctl.status().ToString().c_str());
    return run;
  }
  (*ctl)->Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(20),
                     [&] { return polls > 0; })) {
      std::fprintf(stderr, "no first poll in 20 s\n");
      return run;
    }
  }
  SleepSec(0.3);  // publishes meet a steady loop, as in bench_reaction

  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(1000.0 / o.gap_ms);
  const double cpu0 = ProcCpuSeconds(getpid());
  const double t0 = NowSec();
  double next = t0;
  for (int i = 0; i < o.prompts; ++i) {
    SleepSec(next - NowSec());
    const double p = NowSec();
    absl::Status s = publisher->Publish(queue, i);
    if (!s.ok()) {
      std::fprintf(stderr, "publish %d: %s\n", i, s.ToString().c_str());
      return run;
    }
    (*ctl)->WakeQueue(queue);
    run.published.push_back(p);
    run.rtt.push_back(NowSec() - p);
    next += gap(rng);
  }
  for (const double end = NowSec() + 60; NowSec() < end; SleepSec(0.01)) {
    if (static_cast<int>(exists().size()) >= o.prompts) break;
  }
  run.wall_s = NowSec() - t0;
  run.cpu_s = ProcCpuSeconds(getpid()) - cpu0;
  (*ctl)->Stop();
  if (!amqp_url.empty()) DrainQueue(amqp_url, queue);
  run.created = timing.created();
  run.exists = exists();
  std::sort(run.exists.begin(), run.exists.end());
  std::sort(run.created.begin(), run.created.end());
  run.ok = true;
  return run;
}

std::vector<double> Pair(const std::vector<double>& pub,
                         const std::vector<double>& done) {
  std::vector<double> out;
  for (size_t i = 0; i < pub.size() && i < done.size(); ++i)
    out.push_back(done[i] - pub[i]);
  return out;
}

void Report(const char* name, const char* exists_what, const Run& r) {
  std::printf("\n-- %s --\n", name);
  if (!r.ok) {
    std::printf("FAILED (see stderr)\n");
    return;
  }
  std::printf("published %zu, Jobs created %zu, %s %zu\n", r.published.size(),
              r.created.size(), exists_what, r.exists.size());
  std::printf("publish -> %s: %s\n", exists_what,
              FormatStats(Summarize(Pair(r.published, r.exists))).c_str());
  std::printf("publish -> executor Create returned: %s\n",
              FormatStats(Summarize(Pair(r.published, r.created))).c_str());
  std::printf("publish call (+ WakeQueue): %s\n",
              FormatStats(Summarize(r.rtt)).c_str());
  std::printf("polls: %d wake, %d interval; polls that created Jobs: %s\n",
              r.wake_polls, r.interval_polls,
              FormatStats(Summarize(r.poll_s)).c_str());
  std::printf("this process over %.2f s: %.3f CPU-s (%.2f ms a prompt)\n",
              r.wall_s, r.cpu_s, r.cpu_s / r.published.size() * 1000);
}

}  // namespace

bool RunReaction(const KubeBenchOptions& o) {
  std::printf(
      "\n== reaction: publish through ebb -> Job exists; %d prompts, "
      "Poisson gaps mean %d ms ==\n",
      o.prompts, o.gap_ms);
  const std::string& amqp_url = o.amqp_url;
  if (!amqp_url.empty()) {
    std::printf("trigger: the seed's rabbitmq trigger (AMQP), broker %s\n",
                amqp_url.c_str());
  } else {
    std::printf(
        "trigger: in-process queue depth (--rabbitmq=0; publish = "
        "depth + 1, no broker)\n");
  }

  // Kubernetes executor against the double.
  Run kube;
  {
    const std::string dir = testing::MakeTempDir("ebb-bench-kube");
    AddCleanup([dir] { RemoveTree(dir); });
    FakeApiServer server;
    if (absl::Status s = server.Start(); !s.ok()) {
      std::fprintf(stderr, "double: %s\n", s.ToString().c_str());
      return false;
    }
    executors::kubernetes::KubernetesExecutorOptions eo;
    eo.config.server = server.url();
    executors::kubernetes::KubernetesExecutor executor(eo);
    AddedJobs added(server);
    kube = RunOnce(o, amqp_url, dir, executor, [&] { return added.times(); });
    Report("KubernetesExecutor -> API server double",
           "Job object on the API server (ADDED)", kube);
  }

  // LocalExecutor with ebb-supervise (§1's setup, in this process).
  Run local;
  if (o.local) {
    const std::string dir = testing::MakeTempDir("ebb-bench-kube-local");
    const std::string data = dir + "/data", starts = dir + "/starts";
    std::filesystem::create_directories(starts);
    AddCleanup([dir, data, starts] {
      KillJobs(data, "EBB_BENCH_STARTS=" + starts);
      RemoveTree(dir);
    });
    auto images = executors::local::ImageMap::Parse(StampingImageMap(starts),
                                                    "bench images");
    executors::local::LocalExecutorOptions lo;
    lo.data_dir = data;
    lo.image_map = *images;
    lo.ebb_binary = testing::EbbBinary();
    lo.supervisor_argv = {EBB_BENCH_SUPERVISE};
    auto executor = executors::local::LocalExecutor::Create(lo);
    if (!executor.ok()) {
      std::fprintf(stderr, "local executor: %s\n",
                   executor.status().ToString().c_str());
      return false;
    }
    local = RunOnce(o, amqp_url, dir, **executor,
                    [&] { return ReadStartStamps(starts); });
    KillJobs(data, "EBB_BENCH_STARTS=" + starts);
    Report("LocalExecutor (ebb-supervise), baseline", "job process running",
           local);
  }

  if (!kube.ok) return false;
  const Stats k = Summarize(Pair(kube.published, kube.exists));
  const Stats kc = Summarize(Pair(kube.published, kube.created));
  std::printf("\n-- comparison --\n");
  if (local.ok) {
    const Stats l = Summarize(Pair(local.published, local.exists));
    const Stats lc = Summarize(Pair(local.published, local.created));
    std::printf(
        "Job on the API server vs local job process running: p50 %s / %s = "
        "%.2fx, p99 %s / %s = %.2fx\n",
        Ms(k.p50).c_str(), Ms(l.p50).c_str(), k.p50 / l.p50, Ms(k.p99).c_str(),
        Ms(l.p99).c_str(), k.p99 / l.p99);
    std::printf(
        "Create returned, kubernetes vs local: p50 %s / %s = %.2fx, p99 %s / "
        "%s = %.2fx\n",
        Ms(kc.p50).c_str(), Ms(lc.p50).c_str(), kc.p50 / lc.p50,
        Ms(kc.p99).c_str(), Ms(lc.p99).c_str(), kc.p99 / lc.p99);
    std::printf("target (no slower than the local executor): p50 %s, p99 %s\n",
                k.p50 <= l.p50 ? "met" : "MISSED",
                k.p99 <= l.p99 ? "met" : "MISSED");
  }
  std::printf(
      "vs BENCHMARKS.md §1 (local, through `ebb up`, p50 23.1 ms, p99 47.1 "
      "ms): p50 %s (%.2fx), p99 %s (%.2fx)\n",
      Ms(k.p50).c_str(), k.p50 / 0.0231, Ms(k.p99).c_str(), k.p99 / 0.0471);
  return local.ok || !o.local;
}

}  // namespace ebb::bench::kube
