// SPDX-License-Identifier: Apache-2.0
#include "tests/s3/s3_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/harness/harness.h"

extern char** environ;

namespace ebb::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool PortAccepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Environment for the AWS CLI: no user config, no instance metadata.
std::map<std::string, std::string> AwsEnv(const std::string& dir,
                                          const std::string& secret) {
  return {{"AWS_ACCESS_KEY_ID", S3Peer::kAccessKey},
          {"AWS_SECRET_ACCESS_KEY", secret},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_REGION", "us-east-1"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_CONFIG_FILE", dir + "/no-aws-config"},
          {"AWS_SHARED_CREDENTIALS_FILE", dir + "/no-aws-credentials"},
          {"AWS_PAGER", ""},
          {"AWS_ENDPOINT_URL", ""}};
}

}  // namespace

pid_t SpawnProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env,
                   const std::string& log) {
  std::vector<std::string> envs = MergedEnvironment(env);
  std::vector<std::string> args = argv;
  std::vector<char*> cenv = CStrings(envs);
  std::vector<char*> cargs = CStrings(args);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::setpgid(0, 0);
    // Servers go with the test process even when it aborts mid-test.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::execvpe(cargs[0], cargs.data(), cenv.data());
    _exit(127);
  }
  return pid;
}

int RunWithEnv(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& env,
               std::string* output) {
  return RunCommand(argv, output, env);
}

void StopProcess(pid_t pid, int sig) {
  if (pid <= 0) return;
  ::kill(pid, sig);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

bool WaitForPort(int port, pid_t pid, double timeout_s) {
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (PortAccepts(port)) return true;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return false;  // it died
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

S3Peer::S3Peer() {
  dir_ = MakeTempDir("ebb-s3");
  std::filesystem::create_directories(dir_ + "/data");
  s3rver_port_ = FreePort();
  proxy_port_ = FreePort();
  while (proxy_port_ == s3rver_port_) proxy_port_ = FreePort();
}

S3Peer::~S3Peer() {
  StopProcess(proxy_pid_, SIGTERM);
  StopProcess(s3rver_pid_, SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool S3Peer::Start() { return StartS3rver() && StartProxy(); }

bool S3Peer::StartS3rver() {
  s3rver_pid_ = SpawnProcess({"node", SourceDir() + "/tests/s3/s3rver.mjs",
                              "--port", std::to_string(s3rver_port_), "--dir",
                              dir_ + "/data", "--bucket", kBucket},
                             {{"NODE_OPTIONS", "--openssl-legacy-provider"}},
                             dir_ + "/s3rver.log");
  if (s3rver_pid_ > 0 && WaitForPort(s3rver_port_, s3rver_pid_, 30))
    return true;
  std::fprintf(stderr, "s3 fixture: s3rver did not start:\n%s\n",
               ReadFile(dir_ + "/s3rver.log").c_str());
  s3rver_pid_ = -1;
  return false;
}

void S3Peer::StopS3rver() {
  StopProcess(s3rver_pid_, SIGKILL);
  s3rver_pid_ = -1;
}

bool S3Peer::StartProxy() {
  proxy_pid_ = SpawnProcess(
      {"/usr/bin/python3", SourceDir() + "/tests/s3/sigv4_proxy.py", "--port",
       std::to_string(proxy_port_), "--upstream-port",
       std::to_string(s3rver_port_), "--log", dir_ + "/proxy.log"},
      {}, dir_ + "/proxy.out");
  if (proxy_pid_ > 0 && WaitForPort(proxy_port_, proxy_pid_, 30)) return true;
  std::fprintf(stderr, "s3 fixture: sigv4 proxy did not start:\n%s\n",
               ReadFile(dir_ + "/proxy.out").c_str());
  proxy_pid_ = -1;
  return false;
}

std::string S3Peer::ProxyEndpoint() const {
  return "http://127.0.0.1:" + std::to_string(proxy_port_);
}

std::string S3Peer::DirectEndpoint() const {
  return "http://127.0.0.1:" + std::to_string(s3rver_port_);
}

std::string S3Peer::ProxyLog() const { return ReadFile(dir_ + "/proxy.log"); }

storage::S3Options S3Peer::Options(bool via_proxy) const {
  storage::S3Options o;
  o.bucket = kBucket;
  o.endpoint = via_proxy ? ProxyEndpoint() : DirectEndpoint();
  o.region = "us-east-1";
  o.access_key = kAccessKey;
  o.secret_key = kSecretKey;
  o.connect_timeout = absl::Seconds(2);
  o.request_timeout = absl::Seconds(60);
  o.retry_base_backoff = absl::Milliseconds(20);
  o.retry_max_backoff = absl::Milliseconds(200);
  return o;
}

int S3Peer::AwsCli(const std::vector<std::string>& args, std::string* output,
                   const std::string& secret,
                   const std::string& endpoint) const {
  std::vector<std::string> argv = {
      "/usr/bin/aws", "--endpoint-url",
      endpoint.empty() ? ProxyEndpoint() : endpoint};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunWithEnv(argv, AwsEnv(dir_, secret), output);
}

}  // namespace ebb::testing
