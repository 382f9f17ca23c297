// SPDX-License-Identifier: Apache-2.0
#include "worker/request_monitor.h"

#include <utility>

#include "common/log.h"
#include "worker/control.h"

namespace ebb::worker {

RequestMonitor::RequestMonitor(storage::ObjectStore& store, Clock& clock,
                               std::string id, std::string worker, int images,
                               int steps, absl::Duration interval)
    : store_(store),
      clock_(clock),
      id_(std::move(id)),
      worker_(std::move(worker)),
      images_(std::max(1, images)),
      interval_(std::max(interval, absl::Milliseconds(1))) {
  steps_.store(steps);
}

RequestMonitor::~RequestMonitor() { Stop(); }

void RequestMonitor::Start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void RequestMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (started_ && written_ >= 0) {
    absl::Status s = store_.Delete(ProgressKey(id_));
    if (!s.ok()) {
      EBB_LOG_DEBUG("request {}: cannot remove its progress: {}", id_,
                    s.ToString());
    }
  }
}

void RequestMonitor::Report(int image, int step, int steps) {
  image_.store(image);
  steps_.store(steps);
  step_.store(step);
}

void RequestMonitor::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(interval_),
                 [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    PollOnce();
    lock.lock();
  }
}

void RequestMonitor::PollOnce() {
  const int image = image_.load(), step = step_.load();
  const int64_t now = int64_t{image} * 1000000 + step;
  if (now != written_) {
    Progress p;
    p.id = id_;
    p.step = step;
    p.steps = steps_.load();
    p.image = image;
    p.images = images_;
    p.worker = worker_;
    p.updated_at = clock_.Now();
    absl::Status s =
        store_.Put(ProgressKey(id_), ProgressJson(p), "application/json");
    if (s.ok()) {
      written_ = now;
    } else {
      EBB_LOG_DEBUG("request {}: cannot store its progress: {}", id_,
                    s.ToString());
    }
  }
  if (!deleted_.load() && store_.Head(TombstoneKey(id_)).ok()) {
    deleted_.store(true);
  }
  if (!cancelled_.load() && store_.Head(CancelKey(id_)).ok()) {
    cancelled_.store(true);
  }
  polls_.fetch_add(1);
}

}  // namespace ebb::worker
