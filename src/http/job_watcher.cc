// SPDX-License-Identifier: Apache-2.0
#include "http/job_watcher.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "http/api_server.h"

namespace ebb::http {
namespace {

// What a "job" event reports on: state, readiness, deleting, container states.
std::string Fingerprint(const executors::Job& job) {
  std::string fp = absl::StrCat(
      executors::JobStateName(job.state), "|", job.deleting, "|",
      absl::ToUnixMillis(job.ready), "|", job.failed_attempts, "|", job.reason);
  for (const auto& c : job.containers) {
    absl::StrAppend(&fp, "|", c.name, ":", c.state, ":", c.ready, ":",
                    c.restarts);
  }
  return fp;
}

}  // namespace

JobWatcher::JobWatcher(executors::Executor& executor, EventHub& hub,
                       absl::Duration interval)
    : executor_(executor), hub_(hub), interval_(interval) {}

JobWatcher::~JobWatcher() { Stop(); }

void JobWatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void JobWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobWatcher::Run() {
  bool warned = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    absl::Status s = PollOnce();
    if (!s.ok() && !warned) {
      EBB_LOG_WARN("job watcher: cannot list jobs: {}", s.ToString());
    }
    warned = !s.ok();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(interval_),
                 [this] { return stop_; });
  }
}

absl::Status JobWatcher::PollOnce() {
  auto jobs = executor_.List("", "");
  if (!jobs.ok()) return jobs.status();
  std::lock_guard<std::mutex> lock(poll_mu_);
  std::set<std::string> present;
  for (const auto& job : *jobs) {
    const std::string key = absl::StrCat(job.namespace_, "/", job.name);
    present.insert(key);
    std::string fp = Fingerprint(job);
    auto it = seen_.find(key);
    if (it != seen_.end() && it->second.fingerprint == fp) continue;
    const bool newly_finished =
        job.Finished() && (it == seen_.end() || !it->second.finished);
    seen_[key] = Seen{job.scaled_job, std::move(fp), job.Finished()};
    hub_.Publish("job", ToJson(job));
    if (newly_finished && on_finished_) on_finished_(job);
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    const size_t slash = it->first.find('/');
    hub_.Publish("job", {{"name", it->first.substr(slash + 1)},
                         {"namespace", it->first.substr(0, slash)},
                         {"scaledJob", it->second.scaled_job},
                         {"deleted", true}});
    it = seen_.erase(it);
  }
  return absl::OkStatus();
}

}  // namespace ebb::http
