// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/supervisor_internal.h
//
// The supervisor's event-loop class, shared by supervisor.cc (loop, signals,
// timers, job state) and supervisor_containers.cc (starting containers and
// probes, exits, readiness). Not a public API: use supervisor.h.
#ifndef EBB_EXECUTORS_LOCAL_SUPERVISOR_INTERNAL_H_
#define EBB_EXECUTORS_LOCAL_SUPERVISOR_INTERNAL_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "executors/local/job_files.h"

namespace ebb::executors::local::internal {

using Steady = std::chrono::steady_clock;
using TimePoint = Steady::time_point;

// One readiness probe's run state.
struct Probe {
  pid_t pid = -1;
  TimePoint next;
  TimePoint kill_at;
  bool timed_out = false;
  int successes = 0;
  int failures = 0;
};

// One container: its process, readiness pipe and restart timer.
struct Box {
  const ContainerSpec* spec = nullptr;
  pid_t pid = -1;
  int ready_fd = -1;
  std::string ready_buf;
  bool succeeded = false;
  std::optional<TimePoint> restart_at;
  Probe probe;
};

// Runs one job to its end (see supervisor.h). Single-threaded.
class Supervisor {
 public:
  Supervisor(std::string dir, JobFile job)
      : dir_(std::move(dir)), job_(std::move(job)) {}
  int Run();

 private:
  absl::Status Setup();
  void StartContainer(size_t i);
  void OnContainerExit(size_t i, int code);
  void OnFailure(size_t i);
  void OnProbeExit(size_t i, int code);
  void OnReadyData(size_t i);
  void OnSignals();
  void OnTimers();
  void StartProbe(size_t i);
  void Terminate(JobState state, const std::string& reason,
                 const std::string& message);
  void StopContainers();
  bool AnyContainerAlive() const;
  bool AnyAlive() const;
  void UpdateJobState();
  void SetReady(size_t i, bool ready);
  void CloseReadyFd(Box& b);
  int PollTimeoutMs() const;
  void Save();

  const std::string dir_;
  JobFile job_;
  StateFile st_;
  std::vector<Box> boxes_;
  std::vector<std::string> base_env_;
  int sigfd_ = -1;
  bool terminating_ = false;
  bool done_ = false;
  bool dirty_ = false;
  JobState final_state_ = JobState::kFailed;
  std::string final_reason_, final_message_;
  bool pod_restarting_ = false;
  std::optional<TimePoint> pod_restart_at_;
  std::optional<TimePoint> kill_at_;
  std::optional<TimePoint> deadline_;
  bool can_mount_ = false;
};

}  // namespace ebb::executors::local::internal

#endif  // EBB_EXECUTORS_LOCAL_SUPERVISOR_INTERNAL_H_
