// SPDX-License-Identifier: Apache-2.0
//
// File: worker/request_monitor.h
//
// RequestMonitor: the worker's side of the control channel (worker/control.h)
// for the one request it is running. A background thread, every `interval`
// (the first time one interval after Start; the markers present before the
// request started are the worker's own check, worker.h step 5b):
//   - writes <id>.progress when the reported step changed since the last
//     write (so at most once per interval);
//   - looks for <id>.cancel and <id>.deleted, and remembers what it saw.
// The model's progress callback only calls Report and reads cancelled() /
// deleted() (atomics): the store's latency never stalls a denoising step, as
// inference/text_to_image.h asks of a progress callback.
//
// Threading: Report, cancelled, deleted from any thread; Start/Stop from one.
#ifndef EBB_WORKER_REQUEST_MONITOR_H_
#define EBB_WORKER_REQUEST_MONITOR_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "common/clock.h"
#include "storage/object_store.h"

namespace ebb::worker {

class RequestMonitor {
 public:
  // `store` and `clock` (for updated_at) must outlive the monitor.
  RequestMonitor(storage::ObjectStore& store, Clock& clock, std::string id,
                 std::string worker, int images, int steps,
                 absl::Duration interval);
  ~RequestMonitor();  // Stop()s
  RequestMonitor(const RequestMonitor&) = delete;
  RequestMonitor& operator=(const RequestMonitor&) = delete;

  // Starts the thread.
  void Start();
  // Joins the thread, then removes <id>.progress (best effort). Idempotent.
  void Stop();

  // After each step of image `image` (1-based): `step` of `steps` done.
  void Report(int image, int step, int steps);
  bool cancelled() const { return cancelled_.load(); }
  bool deleted() const { return deleted_.load(); }
  // Store polls done so far (tests wait on it).
  int polls() const { return polls_.load(); }

 private:
  void Run();
  void PollOnce();

  storage::ObjectStore& store_;
  Clock& clock_;
  const std::string id_, worker_;
  const int images_;
  const absl::Duration interval_;

  std::atomic<int> image_{1}, step_{0}, steps_{0};
  std::atomic<bool> cancelled_{false}, deleted_{false};
  std::atomic<int> polls_{0};
  int64_t written_ = -1;  // (image, step) last written; Run's thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool started_ = false;
  std::thread thread_;
};

}  // namespace ebb::worker

#endif  // EBB_WORKER_REQUEST_MONITOR_H_
