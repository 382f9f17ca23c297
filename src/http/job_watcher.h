// SPDX-License-Identifier: Apache-2.0
//
// File: http/job_watcher.h
//
// JobWatcher: turns the executor's job list into "job" live events (docs/api.md
// "Live events"). A background thread lists every job each `interval` and
// publishes to the EventHub:
//   - ToJson(job) when a job appears, or its state, reason (e.g. a pending
//     job's Unschedulable -> ContainerCreating), readiness (ready time or any
//     container's ready flag/state/restarts) or deleting flag changes;
//   - {"name", "namespace", "scaledJob", "deleted": true} when it disappears.
// A failed List publishes nothing (an unknown list is not "every job gone").
//
// Threading: Start/Stop from one thread; PollOnce is serialized internally.
#ifndef EBB_HTTP_JOB_WATCHER_H_
#define EBB_HTTP_JOB_WATCHER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "executors/executor.h"
#include "http/events.h"

namespace ebb::http {

class JobWatcher {
 public:
  // `executor` and `hub` must outlive the watcher.
  JobWatcher(executors::Executor& executor, EventHub& hub,
             absl::Duration interval = absl::Milliseconds(250));
  ~JobWatcher();  // Stop()s
  JobWatcher(const JobWatcher&) = delete;
  JobWatcher& operator=(const JobWatcher&) = delete;

  // Called (on the watcher's thread) once for each job seen to finish, e.g. to
  // poll its ScaledJob at once so a free slot is refilled without waiting for
  // pollingInterval. Set before Start().
  void OnFinished(std::function<void(const executors::Job&)> fn) {
    on_finished_ = std::move(fn);
  }
  // Starts the thread; it polls at once, then every interval. Idempotent.
  void Start();
  // Wakes and joins the thread (returns within one List call). Idempotent.
  void Stop();
  // One list-diff-publish round (the thread calls this); the List error if any.
  absl::Status PollOnce();

 private:
  struct Seen {
    std::string scaled_job;
    std::string fingerprint;
    bool finished = false;
  };
  std::function<void(const executors::Job&)> on_finished_;
  void Run();

  executors::Executor& executor_;
  EventHub& hub_;
  const absl::Duration interval_;

  std::mutex poll_mu_;                // serializes PollOnce
  std::map<std::string, Seen> seen_;  // "ns/name" -> last published; poll_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ebb::http

#endif  // EBB_HTTP_JOB_WATCHER_H_
