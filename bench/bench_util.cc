// SPDX-License-Identifier: Apache-2.0
#include "bench/bench_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace ebb::bench {

struct HttpClientHolder {
  explicit HttpClientHolder(int port) : client("127.0.0.1", port) {}
  httplib::Client client;
};

double NowSec() {
  return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
}

void SleepSec(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

Stats Summarize(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * v.size()));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  s.min = v.front();
  s.max = v.back();
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  return s;
}

std::string Ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f ms", seconds * 1000);
  return buf;
}

std::string FormatStats(const Stats& s) {
  return absl::StrCat("n=", s.n, "  p50 ", Ms(s.p50), "  p90 ", Ms(s.p90),
                      "  p99 ", Ms(s.p99), "  max ", Ms(s.max), "  mean ",
                      Ms(s.mean), "  min ", Ms(s.min));
}

// ---- cleanup ---------------------------------------------------------------

namespace {
std::mutex& CleanupMu() {
  static std::mutex mu;
  return mu;
}
std::vector<std::function<void()>>& Cleanups() {
  static auto* v = new std::vector<std::function<void()>>();
  return *v;
}
std::atomic<int> g_signal{0};
}  // namespace

void AddCleanup(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(CleanupMu());
  Cleanups().push_back(std::move(fn));
}

void RunCleanups() {
  // A second caller (main, while the signal watcher cleans up) waits here
  // until the first is done, so the process never exits mid-cleanup.
  static std::mutex running;
  std::lock_guard<std::mutex> hold(running);
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> lock(CleanupMu());
    fns.swap(Cleanups());
  }
  for (auto it = fns.rbegin(); it != fns.rend(); ++it) (*it)();
}

void InstallSignalCleanup() {
  struct sigaction sa {};
  sa.sa_handler = [](int sig) { g_signal.store(sig); };
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::thread([] {
    while (g_signal.load() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::fprintf(stderr, "bench: signal %d: cleaning up\n", g_signal.load());
    RunCleanups();
    _exit(130);
  }).detach();
}

// ---- broker ----------------------------------------------------------------

Broker::Broker() = default;
Broker::~Broker() { Stop(); }

void Broker::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dir_.empty()) return;
  testing::RunCommand(
      {testing::SourceDir() + "/scripts/rabbitmq.sh", "stop", dir_});
  // The node's helpers may still be writing for a moment after it exits.
  for (int i = 0; i < 20 && std::filesystem::exists(dir_); ++i) {
    RemoveTree(dir_);
    if (std::filesystem::exists(dir_)) SleepSec(0.25);
  }
  dir_.clear();
}

bool Broker::Start() {
  if (const char* u = std::getenv("EBB_TEST_AMQP_URL"); u && *u) {
    url_ = u;
    return true;
  }
  dir_ = testing::MakeTempDir("ebb-bench-rmq");
  AddCleanup([this] { Stop(); });
  std::string out;
  int rc = testing::RunCommand(
      {testing::SourceDir() + "/scripts/rabbitmq.sh", "start", dir_}, &out);
  const std::string key = "EBB_TEST_AMQP_URL=";
  size_t at = out.find(key);
  if (rc != 0 || at == std::string::npos) {
    std::fprintf(stderr, "rabbitmq.sh start failed (%d): %s\n", rc,
                 out.c_str());
    return false;
  }
  url_ = out.substr(at + key.size(), out.find('\n', at) - at - key.size());
  return true;
}

// ---- files -----------------------------------------------------------------

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string SeedManifests(const std::string& amqp_url, const std::string& queue,
                          int max_replica_count, int polling_interval) {
  std::string seed =
      Slurp(testing::SourceDir() + "/examples/stable-diffusion/manifests.yaml");
  return absl::StrReplaceAll(
      seed, {{"amqp://guest:guest@127.0.0.1:5672/", amqp_url},
             {"queueName: tasks", "queueName: " + queue},
             {"maxReplicaCount: 4",
              absl::StrCat("maxReplicaCount: ", max_replica_count)},
             {"pollingInterval: 5",
              absl::StrCat("pollingInterval: ", polling_interval)}});
}

bool DeclareQueue(const std::string& amqp_url, const std::string& queue) {
  queue::RabbitMqOptions o;
  o.url = amqp_url;
  o.connection_name = "ebb-bench";
  auto mq = queue::RabbitMqQueue::Connect(o);
  if (!mq.ok()) return false;
  // Take declares a missing queue durable; the queue is empty here.
  auto d = (*mq)->Take(queue, absl::Milliseconds(1));
  if (d.ok() && d->has_value()) (void)(*mq)->Nack(**d, true);
  return d.ok();
}

int DrainQueue(const std::string& amqp_url, const std::string& queue) {
  queue::RabbitMqOptions o;
  o.url = amqp_url;
  o.connection_name = "ebb-bench-drain";
  auto mq = queue::RabbitMqQueue::Connect(o);
  if (!mq.ok()) return 0;
  int n = 0;
  while (true) {
    auto d = (*mq)->Get(queue);
    if (!d.ok() || !d->has_value()) break;
    (void)(*mq)->Ack(**d);
    ++n;
  }
  return n;
}

// ---- /proc -----------------------------------------------------------------

namespace {
std::vector<std::string> SplitNul(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t end = s.find('\0', i);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

template <typename Pred>
std::vector<pid_t> ScanProc(Pred pred) {
  std::vector<pid_t> pids;
  DIR* d = ::opendir("/proc");
  if (!d) return pids;
  const pid_t self = ::getpid();
  while (dirent* e = ::readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == self) continue;
    if (pred(pid)) pids.push_back(pid);
  }
  ::closedir(d);
  return pids;
}
}  // namespace

std::vector<pid_t> FindProcesses(const std::vector<std::string>& args) {
  return ScanProc([&](pid_t pid) {
    auto argv = SplitNul(Slurp(absl::StrCat("/proc/", pid, "/cmdline")));
    for (const std::string& want : args) {
      bool prefix = !want.empty() && want.back() == '*';
      std::string w = prefix ? want.substr(0, want.size() - 1) : want;
      bool found = std::any_of(argv.begin(), argv.end(), [&](const auto& a) {
        return prefix ? a.rfind(w, 0) == 0 : a == w;
      });
      if (!found) return false;
    }
    return true;
  });
}

std::vector<pid_t> FindProcessesWithEnv(const std::string& entry) {
  return ScanProc([&](pid_t pid) {
    auto env = SplitNul(Slurp(absl::StrCat("/proc/", pid, "/environ")));
    return std::find(env.begin(), env.end(), entry) != env.end();
  });
}

int KillJobs(const std::string& data_dir, const std::string& env_marker) {
  int n = 0;
  // `ebb __supervise DATA/jobs/NS/JOB` (or a test supervisor with the same
  // argument): the data dir is the bench's own temp dir.
  for (pid_t p : FindProcesses({data_dir + "/jobs/*"}))
    n += ::kill(p, SIGKILL) == 0;
  if (!env_marker.empty())
    for (pid_t p : FindProcessesWithEnv(env_marker))
      n += ::kill(p, SIGKILL) == 0;
  return n;
}

long ProcStatusKb(pid_t pid, const std::string& field) {
  std::istringstream in(Slurp(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

long long ProcCpuTicks(pid_t pid) {
  std::string s = Slurp(absl::StrCat("/proc/", pid, "/stat"));
  size_t rp = s.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream in(s.substr(rp + 2));
  std::string f;
  long long utime = 0, stime = 0;
  // Fields after ")": state(3) ... utime(14) stime(15).
  for (int i = 3; i <= 15 && in >> f; ++i) {
    if (i == 14) utime = std::atoll(f.c_str());
    if (i == 15) stime = std::atoll(f.c_str());
  }
  return utime + stime;
}

double ProcCpuSeconds(pid_t pid) {
  clockid_t clk;
  timespec ts{};
  if (::clock_getcpuclockid(pid, &clk) != 0 || ::clock_gettime(clk, &ts) != 0)
    return -1;
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

long ProcPssKb(pid_t pid) {
  std::istringstream in(Slurp(absl::StrCat("/proc/", pid, "/smaps_rollup")));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Pss:", 0) == 0) return std::atol(line.c_str() + 4);
  return -1;
}

// ---- ebb up ----------------------------------------------------------------

EbbUpProcess::EbbUpProcess(std::string dir, std::string manifests,
                           std::string images)
    : dir_(std::move(dir)),
      manifests_(std::move(manifests)),
      images_(std::move(images)) {
  data_dir_ = dir_ + "/data";
  log_path_ = dir_ + "/ebb-up.log";
  store_ = dir_ + "/results";
  port_ = testing::FreePort();
}

EbbUpProcess::~EbbUpProcess() { Stop(); }

bool EbbUpProcess::Start() {
  const std::string ebb = testing::EbbBinary();
  const std::string listen = absl::StrCat("127.0.0.1:", port_);
  std::vector<std::string> args = {"ebb", "up"};
  if (!manifests_.empty())
    args.insert(args.end(), {"-f", manifests_, "--images", images_});
  args.insert(args.end(),
              {"--data-dir", data_dir_, "--listen", listen, "--store", store_});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(ebb.c_str(), argv.data());
    _exit(127);
  }
  client_ = std::make_unique<HttpClientHolder>(port_);
  const double deadline = NowSec() + 20;
  while (NowSec() < deadline) {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/healthz");
    if (r && r->status == 200) {
      token_ = Slurp(data_dir_ + "/token");
      while (!token_.empty() && token_.back() == '\n') token_.pop_back();
      return true;
    }
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    SleepSec(0.02);
  }
  return false;
}

void EbbUpProcess::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Supervisors are detached (own session); find them by their job dirs.
  for (int i = 0; i < 3 && KillJobs(data_dir_, env_marker_) > 0; ++i)
    SleepSec(0.05);
}

std::string EbbUpProcess::log() const { return Slurp(log_path_); }

nlohmann::json EbbUpProcess::Get(const std::string& path) const {
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Get(path.c_str(), {{"Authorization", "Bearer " + token_}});
  if (!r || r->status != 200) return nullptr;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

bool EbbUpProcess::Submit(const nlohmann::json& body, std::string* error) {
  auto r = client_->client.Post("/api/v1/requests",
                                {{"Authorization", "Bearer " + token_}},
                                body.dump(), "application/json");
  if (!r || r->status != 201) {
    if (error) *error = r ? r->body : httplib::to_string(r.error());
    return false;
  }
  return true;
}

std::string StampingImageMap(const std::string& starts_dir) {
  return absl::StrCat(
      "images:\n"
      "  - image: ghcr.io/kedify/stable-diffusion-worker\n"
      "    command: [\"/bin/bash\", \"-c\", \"echo $EPOCHREALTIME > "
      "$EBB_BENCH_STARTS/$$; exec sleep 600\"]\n"
      "    env:\n"
      "      EBB_BENCH_STARTS: \"",
      starts_dir,
      "\"\n"
      "  - image: minio/mc\n"
      "    skip: true\n");
}

std::vector<double> ReadStartStamps(const std::string& dir) {
  std::vector<double> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string s = Slurp(e.path().string());
    if (s.empty() || s.back() != '\n') continue;
    out.push_back(std::atof(s.c_str()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

int IntFlag(int argc, char** argv, const std::string& name, int def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return std::atoi(a.c_str() + prefix.size());
  }
  return def;
}

}  // namespace ebb::bench
