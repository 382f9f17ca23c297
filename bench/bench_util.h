// SPDX-License-Identifier: Apache-2.0
//
// File: bench/bench_util.h
//
// Shared pieces of the benchmark drivers: a broker (EBB_TEST_AMQP_URL or a
// private one from scripts/rabbitmq.sh), a child `ebb up` with its own data
// dir and port, cleanup that also runs on SIGINT/SIGTERM, /proc helpers and
// summary statistics. Drivers are plain executables, not tests.
#ifndef EBB_BENCH_BENCH_UTIL_H_
#define EBB_BENCH_BENCH_UTIL_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ebb::bench {

struct HttpClientHolder;

// Wall-clock seconds since the Unix epoch (the clock ebb stamps jobs with).
double NowSec();
void SleepSec(double s);

struct Stats {
  size_t n = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
// Nearest-rank percentiles of `v` (any order).
Stats Summarize(std::vector<double> v);
// "n=200 p50=12.3 ms p90=... p99=... max=... mean=..." (values in seconds).
std::string FormatStats(const Stats& s);
std::string Ms(double seconds);  // "12.3 ms"

// Cleanup actions, run in reverse order by RunCleanups(), at normal exit of
// main (call it), and from a watcher thread on SIGINT/SIGTERM (then _exit).
void AddCleanup(std::function<void()> fn);
void RunCleanups();
void InstallSignalCleanup();

// The broker: EBB_TEST_AMQP_URL when set, else a private node started with
// scripts/rabbitmq.sh in its own temp dir (stopped and removed by the
// destructor and by RunCleanups()).
// Must outlive RunCleanups() (declare it first in main).
class Broker {
 public:
  Broker();
  ~Broker();     // Stop()
  bool Start();  // false when no broker could be started
  void Stop();   // stops and removes a private node; no-op otherwise
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::mutex mu_;    // Stop() may run from the signal watcher too
  std::string dir_;  // the private node's directory; "" when none
};

std::string Slurp(const std::string& path);
bool WriteFile(const std::string& path, const std::string& text);
void RemoveTree(const std::string& path);

// The seed's manifests (examples/stable-diffusion/manifests.yaml) with the
// bench's broker, queue, maxReplicaCount and pollingInterval.
std::string SeedManifests(const std::string& amqp_url, const std::string& queue,
                          int max_replica_count, int polling_interval);
// Declares `queue` (durable) if it is missing, through ebb's RabbitMqQueue.
bool DeclareQueue(const std::string& amqp_url, const std::string& queue);
// Takes and acks every ready message of `queue` (leaves an external broker
// clean); returns how many.
int DrainQueue(const std::string& amqp_url, const std::string& queue);

// pids whose /proc/<pid>/cmdline argv contains every string of `args`, in
// any position (exact match per argument, or prefix match when the string
// ends with '*').
std::vector<pid_t> FindProcesses(const std::vector<std::string>& args);
// pids whose environment holds exactly `entry` ("NAME=value").
std::vector<pid_t> FindProcessesWithEnv(const std::string& entry);
// SIGKILLs every job supervisor of `data_dir` (`ebb-supervise` or `ebb
// __supervise` with <data_dir>/jobs/...; their containers die with them:
// PR_SET_PDEATHSIG) and every process with env `env_marker` (if not empty).
// Returns how many.
int KillJobs(const std::string& data_dir, const std::string& env_marker);

// /proc/<pid>/status field in kB (VmRSS, RssAnon, RssFile, ...); -1 if absent.
long ProcStatusKb(pid_t pid, const std::string& field);
// utime + stime of /proc/<pid>/stat in clock ticks; -1 on error.
long long ProcCpuTicks(pid_t pid);
// CPU time of process `pid` (all threads) in seconds, nanosecond resolution
// (clock_getcpuclockid); -1 on error.
double ProcCpuSeconds(pid_t pid);
// Pss of /proc/<pid>/smaps_rollup in kB (shared pages divided by sharers).
long ProcPssKb(pid_t pid);

// A child `ebb up -f MANIFESTS --images IMAGES --data-dir DIR/data --listen
// 127.0.0.1:PORT --store DIR/results`, its stderr in DIR/ebb-up.log. With
// empty `manifests` it is the single-node product: no -f and no --images.
class EbbUpProcess {
 public:
  EbbUpProcess(std::string dir, std::string manifests, std::string images);
  ~EbbUpProcess();  // Stop()
  bool Start();     // waits for /healthz (20 s)
  // SIGKILL `ebb up`, then its jobs (supervisors and env-marked processes).
  void Stop();
  void set_env_marker(const std::string& m) { env_marker_ = m; }
  // More arguments for `ebb up` (e.g. --max-jobs 1 --worker-env K=V); set
  // before Start().
  void set_extra_args(std::vector<std::string> a) {
    extra_args_ = std::move(a);
  }
  const std::string& token() const { return token_; }
  const std::string& store_dir() const { return store_; }

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;
  // GET path; null on failure.
  nlohmann::json Get(const std::string& path) const;
  // POST /api/v1/requests with the bearer token; true on 201.
  bool Submit(const nlohmann::json& body, std::string* error);

 private:
  std::string dir_, manifests_, images_, data_dir_, log_path_, token_;
  std::string env_marker_, store_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<HttpClientHolder> client_;
};

// The image map (executors/local/image_map.h) of the bench's jobs: the
// seed's worker image runs `bash -c 'echo $EPOCHREALTIME >
// $EBB_BENCH_STARTS/$$; exec sleep 600'` (the process stamps its own start,
// then sleeps without taking a message); the minio/mc sidecar is skipped.
// Every job process has env EBB_BENCH_STARTS=<starts_dir> (KillJobs marker).
std::string StampingImageMap(const std::string& starts_dir);
// The complete start stamps in `dir` so far, in seconds since the epoch,
// sorted.
std::vector<double> ReadStartStamps(const std::string& dir);

// The value of `--NAME=INT` among the arguments, or `def` when absent.
int IntFlag(int argc, char** argv, const std::string& name, int def);

}  // namespace ebb::bench

#endif  // EBB_BENCH_BENCH_UTIL_H_
