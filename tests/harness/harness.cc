// SPDX-License-Identifier: Apache-2.0
#include "tests/harness/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

namespace ebb::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

struct ProcessBroker {
  ScopedRabbitMq broker;
  ~ProcessBroker() { broker.Stop(); }
};

ProcessBroker* SharedBroker() {
  static std::once_flag once;
  static ProcessBroker* b = nullptr;
  std::call_once(once, [] {
    b = new ProcessBroker();
    if (!b->broker.Start()) {
      std::fprintf(stderr, "harness: could not start a RabbitMQ broker\n");
      std::abort();
    }
    std::atexit([] { b->broker.Stop(); });
  });
  return b;
}

}  // namespace

std::string SourceDir() { return EBB_SOURCE_DIR; }
std::string EbbBinary() { return EBB_BINARY; }

std::string MakeTempDir(const std::string& prefix) {
  std::string base = Env("TMPDIR").empty() ? "/tmp" : Env("TMPDIR");
  std::string tmpl = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) std::abort();
  return buf.data();
}

std::string UniqueName(const std::string& prefix) {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = prefix + "-";
  for (int i = 0; i < 8; ++i) out.push_back(kChars[rng() % 36]);
  return out;
}

std::string TestAmqpUrl() {
  std::string url = Env("EBB_TEST_AMQP_URL");
  if (!url.empty()) return url;
  return SharedBroker()->broker.AmqpUrl();
}

std::string TestManagementUrl() {
  std::string url = Env("EBB_TEST_RABBITMQ_MGMT_URL");
  if (!url.empty()) return url;
  return SharedBroker()->broker.ManagementUrl();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::vector<std::string> MergedEnvironment(
    const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (extra.count(kv.substr(0, kv.find('='))) == 0) out.push_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               const std::map<std::string, std::string>& env) {
  // Everything exec needs is built before fork: the child only dup2s and execs.
  std::vector<std::string> envs = MergedEnvironment(env);
  std::vector<char*> cenv, cargs;
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  int pipefd[2];
  if (::pipe(pipefd) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    ::execvpe(cargs[0], cargs.data(), cenv.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) {
    if (output) output->append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ScopedRabbitMq::ScopedRabbitMq(int amqp_port) : amqp_port_(amqp_port) {
  dir_ = MakeTempDir("ebb-rmq");
  // Ports are fixed now, so URLs can be handed out before Start().
  if (amqp_port_ == 0) amqp_port_ = FreePort();
  mgmt_port_ = FreePort();
}

bool ScopedRabbitMq::Start() {
  std::string out;
  int rc = RunCommand({SourceDir() + "/scripts/rabbitmq.sh", "start", dir_,
                       std::to_string(amqp_port_), std::to_string(mgmt_port_)},
                      &out);
  if (rc != 0) {
    std::fprintf(stderr, "harness: rabbitmq.sh start failed (%d): %s\n", rc,
                 out.c_str());
    return false;
  }
  running_ = true;
  return true;
}

void ScopedRabbitMq::Stop() {
  if (!running_) return;
  RunCommand({SourceDir() + "/scripts/rabbitmq.sh", "stop", dir_});
  running_ = false;
}

ScopedRabbitMq::~ScopedRabbitMq() {
  Stop();
  // The node may write its last log lines just after it exits: retry briefly.
  for (int i = 0; i < 20; ++i) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (!ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string ScopedRabbitMq::AmqpUrl() const {
  return "amqp://guest:guest@127.0.0.1:" + std::to_string(amqp_port_) + "/";
}

std::string ScopedRabbitMq::ManagementUrl() const {
  return "http://guest:guest@127.0.0.1:" + std::to_string(mgmt_port_) + "/";
}

}  // namespace ebb::testing
