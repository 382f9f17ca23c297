// SPDX-License-Identifier: Apache-2.0
#include "executors/local/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/log.h"
#include "executors/local/child_process.h"
#include "executors/local/job_files.h"
#include "executors/local/process.h"
#include "executors/local/supervisor_internal.h"

namespace ebb::executors::local {
namespace internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

absl::Status Supervisor::Setup() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return absl::InternalError("sigprocmask failed");
  sigfd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd_ < 0) return absl::InternalError("signalfd failed");
  ::signal(SIGPIPE, SIG_IGN);

  SupervisorFile sup;
  sup.pid = ::getpid();
  sup.start_time = ProcessStartTime(sup.pid).value_or(0);
  if (absl::Status s = WriteSupervisorFile(dir_, sup); !s.ok()) return s;
  if (absl::Status s = MakeDirs(dir_ + "/logs"); !s.ok()) return s;
  if (absl::Status s = MakeDirs(dir_ + "/termination"); !s.ok()) return s;

  auto prev = ReadStateFile(dir_);
  st_ = prev.ok() ? *prev : InitialState(job_);
  if (st_.containers.size() != job_.containers.size()) st_ = InitialState(job_);
  for (const char* name : {"PATH", "HOME", "LANG", "TMPDIR"}) {
    const char* v = std::getenv(name);
    if (v != nullptr) {
      base_env_.push_back(absl::StrCat(name, "=", v));
    } else if (std::string(name) == "PATH") {
      base_env_.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
    }
  }
  can_mount_ = ::geteuid() == 0;
  bool warned = false;
  for (const ContainerSpec& c : job_.containers) {
    Box b;
    b.spec = &c;
    boxes_.push_back(b);
    for (const MountSpec& m : c.mounts) {
      if (absl::Status s = MakeDirs(m.host_path); !s.ok()) return s;
      if (!can_mount_ && !warned) {
        EBB_LOG_WARN(
            "job {}: not root, so emptyDir volumes are not mounted at their "
            "mountPath; containers get EBB_VOLUME_<NAME> instead",
            job_.name);
        warned = true;
      }
    }
  }
  if (job_.active_deadline_seconds)
    deadline_ = Steady::now() + seconds(*job_.active_deadline_seconds);
  return absl::OkStatus();
}

void Supervisor::Save() {
  dirty_ = false;
  if (absl::Status s = WriteStateFile(dir_, st_); !s.ok())
    EBB_LOG_ERROR("job {}: {}", job_.name, s.ToString());
}

void Supervisor::OnSignals() {
  signalfd_siginfo si;
  while (::read(sigfd_, &si, sizeof(si)) == sizeof(si)) {
    if (si.ssi_signo != SIGCHLD) {
      EBB_LOG_INFO("job {}: signal {}: stopping", job_.name, si.ssi_signo);
      Terminate(JobState::kFailed, "Terminated",
                absl::StrCat("supervisor received signal ", si.ssi_signo));
    }
  }
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    for (size_t i = 0; i < boxes_.size(); ++i) {
      if (boxes_[i].pid == pid) {
        OnContainerExit(i, code);
        break;
      }
      if (boxes_[i].probe.pid == pid) {
        OnProbeExit(i, code);
        break;
      }
    }
  }
}

void Supervisor::OnTimers() {
  TimePoint now = Steady::now();
  if (kill_at_ && now >= *kill_at_) {
    kill_at_.reset();
    for (Box& b : boxes_)
      if (b.pid > 0) ::kill(-b.pid, SIGKILL);
  }
  if (terminating_) return;
  if (deadline_ && now >= *deadline_) {
    Terminate(JobState::kFailed, "DeadlineExceeded",
              "Job was active longer than specified deadline");
    return;
  }
  if (pod_restart_at_ && now >= *pod_restart_at_) {
    pod_restart_at_.reset();
    pod_restarting_ = false;
    kill_at_.reset();
    for (size_t i = 0; i < boxes_.size(); ++i) {
      if (boxes_[i].spec->skip) continue;
      ++st_.containers[i].restarts;
      StartContainer(i);
      if (terminating_) return;
    }
  }
  for (size_t i = 0; i < boxes_.size(); ++i) {
    Box& b = boxes_[i];
    if (b.restart_at && now >= *b.restart_at) {
      ++st_.containers[i].restarts;
      StartContainer(i);
      if (terminating_) return;
    }
    if (b.pid > 0 && b.probe.pid > 0 && now >= b.probe.kill_at &&
        !b.probe.timed_out) {
      b.probe.timed_out = true;
      ::kill(-b.probe.pid, SIGKILL);
    }
    if (b.pid > 0 && b.spec->readiness == Readiness::kProbe && b.spec->probe &&
        b.probe.pid < 0 && now >= b.probe.next)
      StartProbe(i);
  }
}

int Supervisor::PollTimeoutMs() const {
  std::optional<TimePoint> next;
  auto consider = [&next](const std::optional<TimePoint>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(kill_at_);
  if (!terminating_) {
    consider(deadline_);
    consider(pod_restart_at_);
    for (const Box& b : boxes_) {
      consider(b.restart_at);
      if (b.pid > 0 && b.probe.pid > 0 && !b.probe.timed_out)
        consider(b.probe.kill_at);
      if (b.pid > 0 && b.spec->readiness == Readiness::kProbe &&
          b.probe.pid < 0)
        consider(b.probe.next);
    }
  }
  if (!next) return -1;
  auto ms = std::chrono::ceil<milliseconds>(*next - Steady::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 3600 * 1000));
}

void Supervisor::Terminate(JobState state, const std::string& reason,
                           const std::string& message) {
  if (terminating_) return;
  terminating_ = true;
  final_state_ = state;
  final_reason_ = reason;
  final_message_ = message;
  pod_restart_at_.reset();
  for (Box& b : boxes_) b.restart_at.reset();
  StopContainers();
}

void Supervisor::StopContainers() {
  bool any = false;
  for (Box& b : boxes_) {
    if (b.pid > 0) {
      ::kill(-b.pid, SIGTERM);
      any = true;
    }
    if (b.probe.pid > 0) ::kill(-b.probe.pid, SIGKILL);
  }
  if (any)
    kill_at_ = Steady::now() + seconds(std::max<int64_t>(
                                   0, job_.termination_grace_period_seconds));
}

bool Supervisor::AnyContainerAlive() const {
  for (const Box& b : boxes_)
    if (b.pid > 0) return true;
  return false;
}

bool Supervisor::AnyAlive() const {
  for (const Box& b : boxes_)
    if (b.pid > 0 || b.probe.pid > 0) return true;
  return false;
}

void Supervisor::UpdateJobState() {
  if (terminating_ || st_.state == JobState::kSucceeded ||
      st_.state == JobState::kFailed)
    return;
  bool all = !pod_restarting_;
  for (size_t i = 0; i < boxes_.size(); ++i) {
    if (boxes_[i].spec->skip) continue;
    if (!st_.containers[i].ready && !boxes_[i].succeeded) all = false;
  }
  JobState want = all ? JobState::kRunning : JobState::kPending;
  if (want == st_.state) return;
  st_.state = want;
  if (want == JobState::kRunning && st_.ready == absl::InfinitePast())
    st_.ready = absl::Now();
  dirty_ = true;
}

int Supervisor::Run() {
  if (absl::Status s = Setup(); !s.ok()) {
    EBB_LOG_ERROR("job {}: supervisor set-up failed: {}", job_.name,
                  s.ToString());
    st_ = InitialState(job_);
    st_.state = JobState::kFailed;
    st_.reason = "SupervisorError";
    st_.message = std::string(s.message());
    st_.finished = absl::Now();
    Save();
    return 1;
  }
  bool any = false;
  for (size_t i = 0; i < boxes_.size(); ++i) {
    if (boxes_[i].spec->skip) {
      st_.containers[i].state = "skipped";
      continue;
    }
    any = true;
    if (!terminating_) StartContainer(i);
  }
  if (!any) Terminate(JobState::kSucceeded, "Completed", "");
  std::vector<pollfd> fds;
  std::vector<size_t> owners;
  while (!done_) {
    UpdateJobState();
    if (terminating_ && !AnyAlive()) {
      st_.state = final_state_;
      st_.reason = final_reason_;
      st_.message = final_message_;
      st_.finished = absl::Now();
      for (ContainerStatus& c : st_.containers) c.ready = false;
      done_ = true;
      Save();
      break;
    }
    if (dirty_) Save();
    fds.assign(1, pollfd{sigfd_, POLLIN, 0});
    owners.assign(1, 0);
    for (size_t i = 0; i < boxes_.size(); ++i) {
      if (boxes_[i].ready_fd < 0) continue;
      fds.push_back(pollfd{boxes_[i].ready_fd, POLLIN, 0});
      owners.push_back(i);
    }
    int n = ::poll(fds.data(), fds.size(), PollTimeoutMs());
    if (n < 0 && errno != EINTR) {
      EBB_LOG_ERROR("job {}: poll: {}", job_.name, std::strerror(errno));
      return 1;
    }
    for (size_t k = 1; n > 0 && k < fds.size(); ++k)
      if (fds[k].revents != 0) OnReadyData(owners[k]);
    if (n > 0 && fds[0].revents != 0) OnSignals();
    OnTimers();
  }
  EBB_LOG_INFO("job {}: {} {}", job_.name, JobStateName(st_.state), st_.reason);
  return 0;
}

}  // namespace internal

int RunSupervisor(const std::string& job_dir) {
  auto job = ReadJobFile(job_dir);
  if (!job.ok()) {
    EBB_LOG_ERROR("supervisor: {}", job.status().ToString());
    return 1;
  }
  internal::Supervisor s(job_dir, std::move(*job));
  return s.Run();
}

}  // namespace ebb::executors::local
