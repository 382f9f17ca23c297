// SPDX-License-Identifier: Apache-2.0
//
// bench_api: request rate and latency of the single-node API, against a real
// `ebb up` (no -f: embedded queue, API, web UI) in its own data dir:
//   POST /api/v1/requests            submit one prompt (bearer token)
//   GET  /api/v1/images?limit=24     the gallery's first page, with --records
//                                    finished records + PNGs in the store
//   GET  /healthz                    baseline: the server's floor (no auth,
//                                    no work), same process, same clients
// with 1 and 8 concurrent clients (one httplib::Client per thread, keep-alive,
// TCP_NODELAY). Each rep runs every (endpoint, clients) pair in turn for a
// bounded number of requests (and at most --max_s seconds); requests/s is the
// median over reps, latencies are pooled over reps.
//
// Fairness: the jobs must not compete for the 2 CPUs. `ebb up` runs with
// --max-jobs 1 and EBB_SIM_LOAD_MS of a day, so the one worker job it starts
// (on the first POST) sleeps in its model load and never takes a message; its
// CPU over the measurement is printed. Each POST still pays what it pays in
// the product: the embedded queue's durable insert and the scale loop's wake
// (one poll per POST, with the one job running).
//
// Usage: bench_api [--reps=3] [--records=200] [--n_healthz=3000]
//                  [--n_images=600] [--n_post=600] [--max_s=10]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_util.h"
#include "tests/harness/harness.h"
#include "worker/record.h"

namespace ebb::bench {
namespace {

// A valid 1x1 PNG: the gallery only checks that each record's images exist.
constexpr unsigned char kPng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
    0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
    0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

// `n` finished records (worker/record.h format) with one PNG each, written
// straight into the store directory, one second apart.
bool SeedStore(const std::string& dir, int n) {
  std::filesystem::create_directories(dir);
  const absl::Time base = absl::Now() - absl::Hours(1);
  const std::string png(reinterpret_cast<const char*>(kPng), sizeof(kPng));
  for (int i = 0; i < n; ++i) {
    worker::ResultRecord r;
    r.task.id = absl::StrCat("bench-", 1000 + i);
    r.task.prompt = absl::StrCat("a lighthouse at dusk, variation ", i);
    r.task.seed = 42 + i;
    r.seed = 42 + i;
    r.model = "ebb-sim";
    r.done = true;
    r.worker = "bench";
    r.queue_wait_ms = 12;
    r.model_load_ms = i == 0 ? 800 : 0;
    r.inference_ms = 2500;
    r.upload_ms = 3;
    r.created_at = base + absl::Seconds(i);
    r.images = {worker::ImageKey(r.task.id, 1)};
    if (!WriteFile(dir + "/" + r.images[0], png) ||
        !WriteFile(dir + "/" + worker::RecordKey(r.task.id),
                   worker::RecordJson(r)))
      return false;
  }
  return true;
}

struct Endpoint {
  std::string name, path;
  bool post = false;
  int n = 0;  // requests per phase
};

struct Phase {
  double rps = 0;
  std::vector<double> lat;  // seconds
  int errors = 0, connects = 0, requests = 0;
  double server_cpu_s = 0;
};

Phase RunPhase(const EbbUpProcess& up, const Endpoint& e, int clients,
               double max_s) {
  Phase ph;
  std::atomic<int> next{0}, errors{0}, connects{0};
  std::vector<std::vector<double>> lat(clients);
  const std::string body = R"({"prompt":"a lighthouse at dusk"})";
  const httplib::Headers auth = {{"Authorization", "Bearer " + up.token()}};
  const double cpu0 = ProcCpuSeconds(up.pid());
  const double t0 = NowSec(), deadline = t0 + max_s;
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", up.port());
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_socket_options([&](socket_t) { connects.fetch_add(1); });
      while (next.fetch_add(1) < e.n && NowSec() < deadline) {
        const double ts = NowSec();
        auto r = e.post ? c.Post(e.path, auth, body, "application/json")
                        : c.Get(e.path, auth);
        lat[t].push_back(NowSec() - ts);
        if (!r || r->status != (e.post ? 201 : 200)) errors.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed = NowSec() - t0;
  ph.server_cpu_s = ProcCpuSeconds(up.pid()) - cpu0;
  for (auto& v : lat) ph.lat.insert(ph.lat.end(), v.begin(), v.end());
  ph.requests = static_cast<int>(ph.lat.size());
  ph.rps = ph.requests / elapsed;
  ph.errors = errors.load();
  ph.connects = connects.load();
  return ph;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// CPU seconds of the job processes (env marker) and their supervisors.
double JobsCpu(const EbbUpProcess& up, const std::string& marker) {
  double s = 0;
  for (pid_t p : FindProcessesWithEnv(marker)) s += ProcCpuSeconds(p);
  for (pid_t p : FindProcesses({up.data_dir() + "/jobs/*"}))
    s += ProcCpuSeconds(p);
  return s;
}

// TcpExt ListenOverflows + ListenDrops (machine-wide): SYNs dropped because an
// accept queue was full; each costs the client a 1 s SYN retransmit.
long ListenDrops() {
  std::istringstream in(Slurp("/proc/net/netstat"));
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    long total = 0;
    while (n >> name && v >> value)
      if (name == "ListenOverflows" || name == "ListenDrops")
        total += std::atol(value.c_str());
    return total;
  }
  return -1;
}

int Main(int argc, char** argv) {
  int reps = 3, records = 200, n_healthz = 3000, n_images = 600, n_post = 600;
  double max_s = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&](const char* k) {
      return a.rfind(k, 0) == 0 ? a.c_str() + std::strlen(k) : nullptr;
    };
    if (auto v = val("--reps="))
      reps = std::atoi(v);
    else if (auto v = val("--records="))
      records = std::atoi(v);
    else if (auto v = val("--n_healthz="))
      n_healthz = std::atoi(v);
    else if (auto v = val("--n_images="))
      n_images = std::atoi(v);
    else if (auto v = val("--n_post="))
      n_post = std::atoi(v);
    else if (auto v = val("--max_s="))
      max_s = std::atof(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  InstallSignalCleanup();
  const std::string dir = testing::MakeTempDir("ebb-bench-api");
  const std::string marker = "EBB_BENCH_API=" + testing::UniqueName("m");
  EbbUpProcess up(dir, "", "");
  AddCleanup([&up, dir] {
    up.Stop();
    RemoveTree(dir);
  });
  up.set_env_marker(marker);
  up.set_extra_args({"--max-jobs", "1", "--worker-env",
                     "EBB_SIM_LOAD_MS=86400000", "--worker-env", marker});
  if (!SeedStore(up.store_dir(), records) || !up.Start()) {
    std::fprintf(stderr, "ebb up failed to start:\n%s\n", up.log().c_str());
    RunCleanups();
    return 1;
  }
  std::printf(
      "bench_api: single-node `ebb up --max-jobs 1` (worker sleeps in its "
      "model load), %d records + PNGs in the store; %d reps\n",
      records, reps);
  const std::vector<Endpoint> endpoints = {
      {"GET /healthz (baseline)", "/healthz", false, n_healthz},
      {"GET /api/v1/images?limit=24", "/api/v1/images?limit=24", false,
       n_images},
      {"POST /api/v1/requests", "/api/v1/requests", true, n_post}};
  // Check the gallery page, then warm up; the first POST starts the one job.
  auto page = up.Get("/api/v1/images?limit=24");
  const size_t shown = page.is_object() ? page["images"].size() : 0;
  std::printf("gallery page: %zu images\n", shown);
  for (const auto& e : endpoints)
    RunPhase(up, {e.name, e.path, e.post, e.post ? 20 : 100}, 1, max_s);
  SleepSec(2);
  const double jobs_cpu0 = JobsCpu(up, marker);
  const long drops0 = ListenDrops();
  const int job_procs = static_cast<int>(FindProcessesWithEnv(marker).size());

  const std::vector<int> client_counts = {1, 8};
  // results[endpoint][clients index] over reps
  std::vector<std::vector<std::vector<Phase>>> res(
      endpoints.size(), std::vector<std::vector<Phase>>(client_counts.size()));
  for (int r = 0; r < reps; ++r)
    for (size_t c = 0; c < client_counts.size(); ++c)
      for (size_t e = 0; e < endpoints.size(); ++e)
        res[e][c].push_back(
            RunPhase(up, endpoints[e], client_counts[c], max_s));
  const double jobs_cpu = JobsCpu(up, marker) - jobs_cpu0;
  const long drops = ListenDrops() - drops0;

  std::printf("\n%-30s %3s %9s %9s %9s %9s %8s %8s %9s %6s\n", "endpoint", "c",
              "req/s", "p50 ms", "p99 ms", "max ms", "x rps", "x p50",
              "cpu us/r", "conn/r");
  int errors = 0;
  for (size_t c = 0; c < client_counts.size(); ++c) {
    double base_rps = 0, base_p50 = 0;
    for (size_t e = 0; e < endpoints.size(); ++e) {
      std::vector<double> rps, lat;
      double cpu = 0;
      int n = 0, conns = 0;
      for (const Phase& p : res[e][c]) {
        rps.push_back(p.rps);
        lat.insert(lat.end(), p.lat.begin(), p.lat.end());
        cpu += p.server_cpu_s;
        n += p.requests;
        conns += p.connects;
        errors += p.errors;
      }
      const Stats s = Summarize(lat);
      const double m = Median(rps);
      if (e == 0) base_rps = m, base_p50 = s.p50;
      std::printf(
          "%-30s %3d %9.0f %9.3f %9.3f %9.3f %7.2fx %7.1fx %9.0f %6.2f\n",
          endpoints[e].name.c_str(), client_counts[c], m, s.p50 * 1e3,
          s.p99 * 1e3, s.max * 1e3, base_rps > 0 ? m / base_rps : 0,
          base_p50 > 0 ? s.p50 / base_p50 : 0, n ? cpu / n * 1e6 : 0,
          n ? static_cast<double>(conns) / n : 0);
    }
  }
  std::printf(
      "\nx rps / x p50: ratio to GET /healthz with the same clients; cpu us/r: "
      "`ebb up` CPU per request; conn/r: TCP connections opened per request\n"
      "errors: %d; job processes: %d, their CPU over the measurement: %.3f "
      "s; listen queue drops (TcpExt ListenOverflows+ListenDrops): %ld\n",
      errors, job_procs, jobs_cpu, drops);
  RunCleanups();
  return errors == 0 && shown == 24 ? 0 : 1;
}

}  // namespace
}  // namespace ebb::bench

int main(int argc, char** argv) { return ebb::bench::Main(argc, argv); }
