// SPDX-License-Identifier: Apache-2.0
//
// The supervisor's per-container work: start (env, readiness pipe, mounts),
// exit and restart policy, readiness probes and notify pipes.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "executors/local/child_process.h"
#include "executors/local/supervisor_internal.h"

namespace ebb::executors::local::internal {
namespace {

using std::chrono::seconds;

constexpr int kBackoffStartSeconds = 1;
constexpr int kBackoffCapSeconds = 30;

std::chrono::milliseconds Backoff(int n) {  // n = restarts/failures so far
  int64_t s = kBackoffStartSeconds;
  for (int i = 0; i < n && s < kBackoffCapSeconds; ++i) s *= 2;
  return seconds(std::min<int64_t>(s, kBackoffCapSeconds));
}

// The first kMaxTerminationMessageBytes of the file, without trailing
// whitespace; "" when it is missing (as Kubernetes reads
// terminationMessagePath).
constexpr size_t kMaxTerminationMessageBytes = 4096;
std::string ReadTerminationMessage(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out(kMaxTerminationMessageBytes, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())))
    out.pop_back();
  return out;
}

std::string VolumeEnvName(const std::string& volume) {
  std::string out = "EBB_VOLUME_";
  for (char c : volume)
    out.push_back(std::isalnum(static_cast<unsigned char>(c))
                      ? static_cast<char>(std::toupper(c))
                      : '_');
  return out;
}

}  // namespace

void Supervisor::StartContainer(size_t i) {
  Box& b = boxes_[i];
  const ContainerSpec& c = *b.spec;
  ContainerStatus& cs = st_.containers[i];
  b.restart_at.reset();
  b.succeeded = false;
  b.probe = Probe{};
  dirty_ = true;
  ChildOptions o;
  o.argv = c.argv;
  o.cwd = c.cwd.empty() ? dir_ : c.cwd;
  // Later entries win: build a name -> value list, then flatten.
  std::vector<std::pair<std::string, std::string>> env;
  auto set = [&env](const std::string& k, const std::string& v) {
    for (auto& e : env)
      if (e.first == k) {
        e.second = v;
        return;
      }
    env.emplace_back(k, v);
  };
  for (const std::string& kv : base_env_) {
    size_t eq = kv.find('=');
    set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto& [k, v] : c.env) set(k, v);
  int pipefd[2] = {-1, -1};
  if (c.readiness == Readiness::kNotify) {
    if (::pipe2(pipefd, O_CLOEXEC) == 0) {
      set("EBB_READY_FD", std::to_string(kReadyFd));
      o.ready_fd = pipefd[1];
    } else {
      EBB_LOG_ERROR("job {}: pipe: {}", job_.name, std::strerror(errno));
    }
  }
  for (const auto& [k, v] : env) o.env.push_back(absl::StrCat(k, "=", v));
  o.fallback_env = o.env;
  for (const MountSpec& m : c.mounts)
    o.fallback_env.push_back(
        absl::StrCat(VolumeEnvName(m.volume), "=", m.host_path));
  if (can_mount_) {
    o.mounts = c.mounts;
  } else {
    o.env = o.fallback_env;
  }
  // A message left by an earlier run of this container is not this run's.
  ::unlink(TerminationMessagePath(dir_, c.name).c_str());
  std::string log = LogPath(dir_, c.name);
  int log_fd =
      ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  o.output_fd = log_fd;
  auto pid = StartChild(o);
  if (log_fd >= 0) ::close(log_fd);
  if (pipefd[1] >= 0) ::close(pipefd[1]);
  if (!pid.ok()) {
    if (pipefd[0] >= 0) ::close(pipefd[0]);
    EBB_LOG_ERROR("job {}: container {}: {}", job_.name, c.name,
                  pid.status().ToString());
    cs.state = "terminated";
    cs.exit_code = 127;
    cs.ready = false;
    cs.reason = kStartError;
    cs.message = std::string(pid.status().message());
    OnFailure(i);
    return;
  }
  cs.reason.clear();
  cs.message.clear();
  b.pid = *pid;
  b.ready_fd = pipefd[0];
  b.ready_buf.clear();
  if (b.ready_fd >= 0) ::fcntl(b.ready_fd, F_SETFL, O_NONBLOCK);
  cs.state = "running";
  cs.ready = false;
  if (st_.started == absl::InfinitePast()) st_.started = absl::Now();
  if (c.readiness == Readiness::kStarted) cs.ready = true;
  if (c.readiness == Readiness::kProbe && c.probe)
    b.probe.next = Steady::now() + seconds(c.probe->initial_delay_seconds);
  EBB_LOG_INFO("job {}: started container {} (pid {})", job_.name, c.name,
               b.pid);
}

void Supervisor::CloseReadyFd(Box& b) {
  if (b.ready_fd >= 0) ::close(b.ready_fd);
  b.ready_fd = -1;
}

void Supervisor::SetReady(size_t i, bool ready) {
  if (st_.containers[i].ready == ready) return;
  st_.containers[i].ready = ready;
  dirty_ = true;
}

void Supervisor::OnContainerExit(size_t i, int code) {
  Box& b = boxes_[i];
  ContainerStatus& cs = st_.containers[i];
  ::kill(-b.pid, SIGKILL);  // whatever is left of its process group
  EBB_LOG_INFO("job {}: container {} exited with {}", job_.name, b.spec->name,
               code);
  b.pid = -1;
  CloseReadyFd(b);
  if (b.probe.pid > 0) ::kill(-b.probe.pid, SIGKILL);
  cs.state = "terminated";
  cs.exit_code = code;
  cs.ready = false;
  cs.reason = code == 0 ? "Completed" : "Error";
  cs.message =
      ReadTerminationMessage(TerminationMessagePath(dir_, b.spec->name));
  dirty_ = true;
  if (terminating_) return;
  if (pod_restarting_) {
    if (!AnyContainerAlive())
      pod_restart_at_ = Steady::now() + Backoff(st_.failed_attempts - 1);
    return;
  }
  if (code == 0) {
    b.succeeded = true;
    bool all = true;
    for (size_t k = 0; k < boxes_.size(); ++k)
      if (!boxes_[k].spec->skip && !boxes_[k].succeeded) all = false;
    if (all) Terminate(JobState::kSucceeded, "Completed", "");
    return;
  }
  OnFailure(i);
}

void Supervisor::OnFailure(size_t i) {
  ++st_.failed_attempts;
  dirty_ = true;
  if (st_.failed_attempts > job_.backoff_limit) {
    Terminate(JobState::kFailed, "BackoffLimitExceeded",
              "Job has reached the specified backoff limit");
    return;
  }
  if (job_.restart_policy == "Never") {
    pod_restarting_ = true;
    StopContainers();
    if (!AnyContainerAlive())
      pod_restart_at_ = Steady::now() + Backoff(st_.failed_attempts - 1);
    return;
  }
  st_.containers[i].state = "waiting";
  boxes_[i].restart_at = Steady::now() + Backoff(st_.containers[i].restarts);
}

void Supervisor::StartProbe(size_t i) {
  Box& b = boxes_[i];
  const ProbeSpec& p = *b.spec->probe;
  ChildOptions o;
  o.argv = p.argv;
  o.cwd = b.spec->cwd.empty() ? dir_ : b.spec->cwd;
  o.env = base_env_;
  for (const auto& [k, v] : b.spec->env)
    o.env.push_back(absl::StrCat(k, "=", v));
  if (can_mount_ && !b.spec->mounts.empty()) o.join_mount_ns_of = b.pid;
  TimePoint now = Steady::now();
  b.probe.next = now + seconds(std::max(1, p.period_seconds));
  auto pid = StartChild(o);
  if (!pid.ok()) {
    OnProbeExit(i, 127);
    return;
  }
  b.probe.pid = *pid;
  b.probe.timed_out = false;
  b.probe.kill_at = now + seconds(std::max(1, p.timeout_seconds));
}

void Supervisor::OnProbeExit(size_t i, int code) {
  Box& b = boxes_[i];
  b.probe.pid = -1;
  if (b.pid < 0) return;  // container gone; result irrelevant
  const ProbeSpec& p = *b.spec->probe;
  if (code == 0 && !b.probe.timed_out) {
    b.probe.failures = 0;
    if (++b.probe.successes >= std::max(1, p.success_threshold))
      SetReady(i, true);
  } else {
    b.probe.successes = 0;
    if (++b.probe.failures >= std::max(1, p.failure_threshold))
      SetReady(i, false);
  }
}

void Supervisor::OnReadyData(size_t i) {
  Box& b = boxes_[i];
  char buf[512];
  for (;;) {
    ssize_t n = ::read(b.ready_fd, buf, sizeof(buf));
    if (n > 0) {
      b.ready_buf.append(buf, static_cast<size_t>(n));
      if (b.ready_buf.find("READY=1") != std::string::npos) {
        SetReady(i, true);
        b.ready_buf.clear();
      } else if (b.ready_buf.size() > 4096) {
        b.ready_buf.erase(0, b.ready_buf.size() - 16);
      }
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return;
    CloseReadyFd(b);  // EOF or error: the container closed its end
    return;
  }
}

}  // namespace ebb::executors::local::internal
