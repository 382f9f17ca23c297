// SPDX-License-Identifier: Apache-2.0
//
// bench_reaction: publish -> job process started, under a real `ebb up` with
// the seed's manifests (own broker, unique queue, maxReplicaCount 250,
// pollingInterval 5).
//
// The worker image is mapped to a container that stamps its own start time
// (bash's $EPOCHREALTIME, no extra fork) into a file and then sleeps without
// taking a message. So the queue length equals the prompts published, every
// job stays running (the default strategy creates exactly queue - running:
// one job per prompt, no over-creation), and no finished job is cleaned away
// before its start time is read. The supervisor's own `started` stamp
// (state.json) is reported too.
//
//   (a) prompts through ebb (POST /api/v1/requests): ebb wakes its loop at
//       once;
//   (b) prompts from a foreign publisher (RabbitMqQueue straight to the
//       broker): seen at the next poll.
// The i-th publish is paired with the i-th job start (both sorted).
// Baseline: KEDA polls every pollingInterval, so its reaction is uniform over
// [0, 5 s): p50 2.5 s, p99 4.95 s. The same publish times are also run through
// that model (a poll grid of random phase) in this process.
//
// Usage: bench_reaction [--a=200] [--b=50] [--gap_a_ms=50] [--gap_b_ms=1000]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "common/log.h"
#include "executors/local/job_files.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace ebb::bench {
namespace {

constexpr double kPollingInterval = 5.0;

struct Result {
  std::vector<double> published;   // publish start times, s since epoch
  std::vector<double> proc_start;  // container's own $EPOCHREALTIME
  std::vector<double> sup_start;   // state.json `started`
  std::vector<double> post_rtt;    // (a): POST round trip
  std::vector<double> poll_ms;     // polls that created jobs: durationMs
  int wake_polls = 0, interval_polls = 0;
  bool ok = false;
};

std::vector<double> ReadSupervisorStarts(const std::string& data_dir) {
  std::vector<double> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(
           data_dir + "/jobs/stable-diff", ec)) {
    auto st = executors::local::ReadStateFile(e.path().string());
    if (!st.ok() || st->started == absl::InfinitePast()) continue;
    out.push_back(absl::ToDoubleSeconds(st->started - absl::UnixEpoch()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result RunScenario(const std::string& amqp_url, bool through_ebb, int n,
                   double mean_gap_s) {
  Result res;
  const std::string dir = testing::MakeTempDir("ebb-bench-reaction");
  AddCleanup([dir] { RemoveTree(dir); });
  const std::string starts = dir + "/starts";
  std::filesystem::create_directories(starts);
  const std::string queue = testing::UniqueName("bench");
  AddCleanup([amqp_url, queue] { DrainQueue(amqp_url, queue); });
  if (!DeclareQueue(amqp_url, queue)) {
    std::fprintf(stderr, "cannot declare queue %s\n", queue.c_str());
    return res;
  }
  WriteFile(dir + "/manifests.yaml",
            SeedManifests(amqp_url, queue, 250, kPollingInterval));
  WriteFile(dir + "/ebb-local.yaml", StampingImageMap(starts));
  auto up = std::make_shared<EbbUpProcess>(dir, dir + "/manifests.yaml",
                                           dir + "/ebb-local.yaml");
  up->set_env_marker("EBB_BENCH_STARTS=" + starts);
  AddCleanup([up] { up->Stop(); });
  if (!up->Start()) {
    std::fprintf(stderr, "ebb up did not start:\n%s\n", up->log().c_str());
    return res;
  }
  // Wait for the loop's first ("start") poll, so publishes meet a steady loop.
  for (double end = NowSec() + 10; NowSec() < end; SleepSec(0.02)) {
    auto j = up->Get("/api/v1/scaledjobs/stable-diff-job");
    if (!j.is_null() && !j["last"].is_null()) break;
  }
  SleepSec(0.3);

  std::unique_ptr<queue::RabbitMqQueue> mq;
  if (!through_ebb) {
    queue::RabbitMqOptions o;
    o.url = amqp_url;
    o.connection_name = "foreign-publisher";
    auto c = queue::RabbitMqQueue::Connect(o);
    if (!c.ok()) return res;
    mq = std::move(*c);
  }
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(1.0 / mean_gap_s);
  double next = NowSec();
  for (int i = 0; i < n; ++i) {
    SleepSec(next - NowSec());
    const std::string prompt = absl::StrCat("bench prompt ", i);
    const double t0 = NowSec();
    std::string err;
    bool ok;
    if (through_ebb) {
      ok = up->Submit({{"prompt", prompt}}, &err);
    } else {
      queue::OutgoingMessage m;
      m.body = nlohmann::json({{"prompt", prompt}, {"count", 1}}).dump();
      absl::Status s = mq->Publish(queue, m);
      ok = s.ok();
      if (!ok) err = s.ToString();
    }
    if (!ok) {
      std::fprintf(stderr, "publish %d failed: %s\n", i, err.c_str());
      return res;
    }
    res.published.push_back(t0);
    res.post_rtt.push_back(NowSec() - t0);
    next += gap(rng);
  }
  const double limit = through_ebb ? 60 : 2 * kPollingInterval + 5;
  for (double end = NowSec() + limit; NowSec() < end; SleepSec(0.05)) {
    if (static_cast<int>(ReadStartStamps(starts).size()) >= n) break;
  }
  SleepSec(0.2);
  res.proc_start = ReadStartStamps(starts);
  res.sup_start = ReadSupervisorStarts(up->data_dir());
  auto sj = up->Get("/api/v1/scaledjobs/stable-diff-job?limit=1000");
  if (!sj.is_null()) {
    for (const auto& r : sj["recent"]) {
      if (r["cause"] == "wake") ++res.wake_polls;
      if (r["cause"] == "interval") ++res.interval_polls;
      if (r["created"].get<int>() > 0)
        res.poll_ms.push_back(r["durationMs"].get<double>() / 1000.0);
    }
  }
  up->Stop();
  res.ok = true;
  return res;
}

// Latencies of the i-th publish to the i-th start (both sorted).
std::vector<double> Pair(const std::vector<double>& pub,
                         const std::vector<double>& start) {
  std::vector<double> out;
  for (size_t i = 0; i < pub.size() && i < start.size(); ++i)
    out.push_back(start[i] - pub[i]);
  return out;
}

// KEDA's model for the same publish times: polls at phase + k * interval.
std::vector<double> KedaModel(const std::vector<double>& pub) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, kPollingInterval);
  std::vector<double> out;
  for (int trial = 0; trial < 200; ++trial) {
    const double phase = u(rng);
    for (double t : pub) {
      double k = std::ceil((t - phase) / kPollingInterval);
      out.push_back(phase + k * kPollingInterval - t);
    }
  }
  return out;
}

void Report(const char* name, const Result& r, int n, double target_p50,
            double target_p99) {
  std::printf("\n== %s ==\n", name);
  if (!r.ok) {
    std::printf("FAILED (see stderr)\n");
    return;
  }
  std::printf(
      "prompts published: %zu, job starts seen: %zu (state.json: %zu)\n",
      r.published.size(), r.proc_start.size(), r.sup_start.size());
  if (static_cast<int>(r.proc_start.size()) < n)
    std::printf("WARNING: %d prompts got no job within the wait\n",
                n - static_cast<int>(r.proc_start.size()));
  Stats proc = Summarize(Pair(r.published, r.proc_start));
  Stats sup = Summarize(Pair(r.published, r.sup_start));
  Stats keda = Summarize(KedaModel(r.published));
  std::printf("publish -> job process running (its own stamp): %s\n",
              FormatStats(proc).c_str());
  std::printf("publish -> supervisor forked it (state.json):   %s\n",
              FormatStats(sup).c_str());
  std::printf("publish call (POST/confirm) round trip:          %s\n",
              FormatStats(Summarize(r.post_rtt)).c_str());
  std::printf("polls: %d wake, %d interval; polls that created jobs: %s\n",
              r.wake_polls, r.interval_polls,
              FormatStats(Summarize(r.poll_ms)).c_str());
  std::printf("baseline KEDA (poll every 5 s, same publish times): %s\n",
              FormatStats(keda).c_str());
  std::printf(
      "ratio p50: KEDA 2.5 s / ebb %s = %.1fx; p99: 4.95 s / %s = %.1fx\n",
      Ms(proc.p50).c_str(), 2.5 / proc.p50, Ms(proc.p99).c_str(),
      4.95 / proc.p99);
  if (target_p50 > 0) {
    std::printf("target p50 <= %s: %s; p99 <= %s: %s\n", Ms(target_p50).c_str(),
                proc.p50 <= target_p50 ? "met" : "MISSED",
                Ms(target_p99).c_str(),
                proc.p99 <= target_p99 ? "met" : "MISSED");
  } else {
    std::printf(
        "vs uniform[0,5s): p50 %s (expect 2500.0 ms), p99 %s (expect "
        "4950.0 ms), max %s (expect < 5000 ms + job start), mean %s\n",
        Ms(proc.p50).c_str(), Ms(proc.p99).c_str(), Ms(proc.max).c_str(),
        Ms(proc.mean).c_str());
  }
}

int Main(int argc, char** argv) {
  const int na = IntFlag(argc, argv, "a", 200);
  const int nb = IntFlag(argc, argv, "b", 50);
  const double gap_a = IntFlag(argc, argv, "gap_a_ms", 50) / 1000.0;
  const double gap_b = IntFlag(argc, argv, "gap_b_ms", 1000) / 1000.0;
  InitLogging("warn");
  InstallSignalCleanup();
  Broker broker;
  if (!broker.Start()) {
    std::fprintf(stderr, "no RabbitMQ broker\n");
    RunCleanups();
    return 1;
  }
  std::printf(
      "bench_reaction: seed manifests, pollingInterval 5, "
      "maxReplicaCount 250; broker %s\n",
      broker.url().c_str());
  std::printf(
      "(a) %d prompts via POST /api/v1/requests, Poisson gaps mean "
      "%.0f ms; (b) %d prompts from a foreign publisher, mean gap "
      "%.0f ms\n",
      na, gap_a * 1000, nb, gap_b * 1000);
  bool ok = true;
  if (na > 0) {
    Result a = RunScenario(broker.url(), true, na, gap_a);
    Report("(a) through ebb: wake at once", a, na, 0.020, 0.100);
    ok = ok && a.ok;
  }
  if (nb > 0) {
    Result b = RunScenario(broker.url(), false, nb, gap_b);
    Report("(b) foreign publisher: next poll", b, nb, 0, 0);
    ok = ok && b.ok;
  }
  RunCleanups();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace ebb::bench

int main(int argc, char** argv) { return ebb::bench::Main(argc, argv); }
