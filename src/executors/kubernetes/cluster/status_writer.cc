// SPDX-License-Identifier: Apache-2.0
//
// The writer's thread and its API calls; what to write is decided in
// status_rules.cc (Sync, Observe).
#include "executors/kubernetes/cluster/status_writer.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace ebb::executors::kubernetes::cluster {

using Json = nlohmann::json;

ScaledJobStatusWriter::ScaledJobStatusWriter(KubeClient* client,
                                             StatusWriterOptions options)
    : client_(client),
      options_(std::move(options)),
      recorder_(client, options_.events) {}

ScaledJobStatusWriter::~ScaledJobStatusWriter() { Stop(); }

void ScaledJobStatusWriter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stop_) return;
  stop_ = false;
  tracked_.clear();
  events_.clear();
  thread_ = std::thread([this] { Run(); });
}

void ScaledJobStatusWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void ScaledJobStatusWriter::LogFailure(const std::string& kind,
                                       const std::string& text) {
  const absl::Time now = absl::Now();
  absl::Time last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = last_logged_.try_emplace(kind, now);
    if (!fresh && now - it->second < options_.log_every) return;
    it->second = now;
  }
  EBB_LOG_WARN(
      "{} (scaling goes on; such failures are logged at most once "
      "a minute)",
      text);
}

bool ScaledJobStatusWriter::WaitIdle(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    if (busy_ || !events_.empty()) return false;
    for (const auto& [key, t] : tracked_) {
      if (t.dirty) return false;
    }
    return true;
  });
}

ScaledJobStatusWriter::Stats ScaledJobStatusWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.events_dropped += recorder_.dropped();
  return s;
}

void ScaledJobStatusWriter::WriteStatus(const std::string& key) {
  ScaledJobIdentity id;
  Conditions sent;
  Json status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tracked_.find(key);
    if (it == tracked_.end()) return;
    Tracked& t = it->second;
    id = t.id;
    sent = t.desired;
    status["conditions"] = sent.ToJson();
    if (t.last_active != absl::InfinitePast()) {
      status["lastActiveTime"] = Rfc3339(t.last_active);
    }
  }
  const std::string path =
      absl::StrCat("/apis/keda.sh/v1alpha1/namespaces/", id.namespace_,
                   "/scaledjobs/", id.name, "/status");
  auto patched = client_->Request("PATCH", path, {{"status", status}});
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tracked_.find(key);
    if (it == tracked_.end()) return;
    Tracked& t = it->second;
    if (patched.ok() || absl::IsNotFound(patched.status())) {
      // NotFound: the ScaledJob is gone; Sync will say so.
      if (patched.ok()) ++stats_.status_writes;
      t.written = sent;
      t.dirty = !t.desired.SameAs(t.written);
      return;
    }
    ++stats_.status_failures;
    t.next_try = absl::Now() + options_.retry;
  }
  LogFailure("status", absl::StrCat("cannot write the status of ScaledJob ",
                                    key, ": ", patched.status().message()));
}

void ScaledJobStatusWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    busy_ = false;
    cv_.notify_all();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.retry), [&] {
      if (stop_ || !events_.empty()) return true;
      const absl::Time now = absl::Now();
      for (const auto& [key, t] : tracked_) {
        if (t.dirty && t.next_try <= now) return true;
      }
      return false;
    });
    if (stop_) break;
    busy_ = true;
    while (!events_.empty() && !stop_) {
      QueuedEvent e = std::move(events_.front());
      events_.pop_front();
      lock.unlock();
      absl::Status s = recorder_.Record(e.object, e.type, e.reason, e.message);
      if (!s.ok()) {
        LogFailure("event",
                   absl::StrCat("cannot record event ", e.reason,
                                " on ScaledJob ", e.object.namespace_, "/",
                                e.object.name, ": ", s.message()));
      }
      lock.lock();
      if (!s.ok()) ++stats_.event_failures;
    }
    std::vector<std::string> due;
    const absl::Time now = absl::Now();
    for (const auto& [key, t] : tracked_) {
      if (t.dirty && t.next_try <= now) due.push_back(key);
    }
    for (const std::string& key : due) {
      if (stop_) break;
      lock.unlock();
      WriteStatus(key);
      lock.lock();
    }
  }
  busy_ = false;
  cv_.notify_all();
}

}  // namespace ebb::executors::kubernetes::cluster
