// SPDX-License-Identifier: Apache-2.0
#include "tests/integration/ebb_up_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "tests/harness/harness.h"

namespace ebb::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace

bool WaitUntil(const std::function<bool()>& pred, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return pred();
}

EbbUp::EbbUp(EbbUpConfig config) : config_(std::move(config)) {
  config_.worker_env.try_emplace("EBB_MODEL", "sim");
  dir_ = MakeTempDir("ebb-e2e");
  data_dir_ = dir_ + "/data";
  store_dir_ = dir_ + "/results";
  queue_ = config_.single_node ? "tasks" : UniqueName("tasks");
  manifests_ = dir_ + "/manifests.yaml";
  images_ = dir_ + "/ebb-local.yaml";
  log_path_ = dir_ + "/ebb-up.log";
  port_ = FreePort();

  // The seed's manifests, with this test's broker, queue and limits.
  std::string seed =
      Slurp(SourceDir() + "/examples/stable-diffusion/manifests.yaml");
  seed = absl::StrReplaceAll(
      seed, {{"amqp://guest:guest@127.0.0.1:5672/", config_.amqp_url},
             {"queueName: tasks", "queueName: " + queue_},
             {"maxReplicaCount: 4",
              absl::StrCat("maxReplicaCount: ", config_.max_replica_count)},
             {"pollingInterval: 5",
              absl::StrCat("pollingInterval: ", config_.polling_interval)},
             {"backoffLimit: 4",
              absl::StrCat("backoffLimit: ", config_.backoff_limit)}});
  if (!config_.strategy.empty()) {
    seed = absl::StrReplaceAll(
        seed, {{"  triggers:\n", "  scalingStrategy:\n    strategy: " +
                                     config_.strategy + "\n  triggers:\n"}});
  }
  for (const auto& [from, to] : config_.manifest_edits) {
    seed = absl::StrReplaceAll(seed, {{from, to}});
  }
  Write(manifests_, seed);

  std::string env = absl::StrCat("      Q_NAME: \"", queue_, "\"\n");
  for (const auto& [k, v] : config_.worker_env)
    absl::StrAppend(&env, "      ", k, ": \"", v, "\"\n");
  Write(images_,
        absl::StrCat("images:\n"
                     "  - image: ghcr.io/kedify/stable-diffusion-worker\n"
                     "    command: [\"{ebb}\", \"worker\"]\n"
                     "    readiness: notify\n"
                     "    env:\n",
                     env,
                     "  - image: minio/mc\n"
                     "    skip: true\n"));
}

EbbUp::~EbbUp() {
  Kill();
  // Stop every job this instance started: supervisors run in their own
  // sessions.
  for (pid_t p : WorkerPids()) ::kill(p, SIGKILL);
  std::string out;
  RunCommand({"pkill", "-KILL", "-f", "supervise " + data_dir_}, &out);
}

bool EbbUp::Start() {
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string port = absl::StrCat("127.0.0.1:", port_);
    std::string store = config_.store.empty() ? store_dir_ : config_.store;
    for (const auto& [k, v] : config_.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> args = {"ebb",      "up", "--data-dir", data_dir_,
                                     "--listen", port, "--store",    store};
    if (config_.single_node) {
      args.push_back("--max-jobs");
      args.push_back(absl::StrCat(config_.max_replica_count));
      for (const auto& [k, v] : config_.worker_env) {
        args.push_back("--worker-env");
        args.push_back(k + "=" + v);
      }
    } else {
      for (const std::string& a :
           {std::string("-f"), manifests_, std::string("--images"), images_}) {
        args.push_back(a);
      }
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(EbbBinary().c_str(), argv.data());
    _exit(127);
  }
  return WaitUntil(
      [&] {
        httplib::Client c("127.0.0.1", port_);
        auto r = c.Get("/healthz");
        return r && r->status == 200;
      },
      absl::Seconds(20));
}

void EbbUp::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int EbbUp::Interrupt(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void EbbUp::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::string EbbUp::GetText(const std::string& path) const {
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Get(path.c_str(), {{"Authorization", "Bearer " + Token()}});
  return r && r->status == 200 ? r->body : "";
}

std::string EbbUp::server() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}
std::string EbbUp::log() const { return Slurp(log_path_); }

std::vector<std::string> EbbUp::Submit(const nlohmann::json& body,
                                       std::string* error) {
  const std::string token = Token();
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Post("/api/v1/requests", {{"Authorization", "Bearer " + token}},
                  body.dump(), "application/json");
  if (!r || r->status != 201) {
    if (error) *error = r ? r->body : "no response";
    return {};
  }
  return nlohmann::json::parse(r->body)["ids"].get<std::vector<std::string>>();
}

std::string EbbUp::Token() const {
  std::string token = Slurp(data_dir_ + "/token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

nlohmann::json EbbUp::Get(const std::string& path) const {
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Get(path.c_str(), {{"Authorization", "Bearer " + Token()}});
  if (!r || r->status != 200) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

int EbbUp::UnfinishedJobs() const {
  nlohmann::json j = Get("/api/v1/jobs");
  if (j.is_null() || j.is_discarded()) return -1;
  int n = 0;
  for (const auto& job : j["jobs"]) {
    std::string s = job["state"];
    n += (s == "pending" || s == "running") ? 1 : 0;
  }
  return n;
}

std::set<std::string> EbbUp::Records() const {
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(store_dir_, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() > 5 && name.ends_with(".json") && name[0] != '.') {
      ids.insert(name.substr(0, name.size() - 5));
    }
  }
  return ids;
}

nlohmann::json EbbUp::Record(const std::string& id) const {
  return nlohmann::json::parse(Slurp(store_dir_ + "/" + id + ".json"), nullptr,
                               false);
}

int EbbUp::Ebb(const std::vector<std::string>& args, std::string* out) const {
  if (out) out->clear();
  std::vector<std::string> argv = {EbbBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, out);
}

std::vector<pid_t> EbbUp::WorkerPids() const {
  std::vector<pid_t> pids;
  const std::string needle =
      "EBB_STORE=" + (config_.store.empty() ? store_dir_ : config_.store);
  DIR* d = ::opendir("/proc");
  if (!d) return pids;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmdline = Slurp(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.find("worker") == std::string::npos) continue;
    std::string environ = Slurp(absl::StrCat("/proc/", pid, "/environ"));
    for (size_t i = 0; i < environ.size();) {
      size_t end = environ.find('\0', i);
      if (end == std::string::npos) end = environ.size();
      if (environ.compare(i, end - i, needle) == 0) pids.push_back(pid);
      i = end + 1;
    }
  }
  ::closedir(d);
  return pids;
}

}  // namespace ebb::testing
