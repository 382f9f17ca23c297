// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/event_recorder.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "executors/kubernetes/cluster/conditions.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxMessageBytes = 1024;

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "ebb";
  return buf;
}

std::string EventsPath(const std::string& ns) {
  return absl::StrCat("/api/v1/namespaces/", ns, "/events");
}

}  // namespace

EventRecorder::EventRecorder(KubeClient* client, EventRecorderOptions options)
    : client_(client), options_(std::move(options)) {
  instance_ = options_.instance.empty() ? HostName() : options_.instance;
}

bool EventRecorder::TakeToken(const std::string& uid, absl::Time now) {
  auto [it, fresh] = buckets_.try_emplace(uid);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = options_.burst;
    b.refilled = now;
  } else if (options_.refill > absl::ZeroDuration()) {
    b.tokens = std::min<double>(
        options_.burst,
        b.tokens + absl::FDivDuration(now - b.refilled, options_.refill));
    b.refilled = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

absl::Status EventRecorder::Create(const InvolvedObject& object,
                                   const std::string& type,
                                   const std::string& reason,
                                   const std::string& message, absl::Time now,
                                   Written* written) {
  // client-go names an Event "<object>.<unix nanos in hex>"; two events in
  // one clock tick get successive numbers.
  last_nanos_ = std::max(last_nanos_ + 1, absl::ToUnixNanos(now));
  const std::string name =
      absl::StrFormat("%s.%x", object.name, static_cast<uint64_t>(last_nanos_));
  const std::string stamp = Rfc3339(now);
  Json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", object.namespace_}}},
      {"involvedObject",
       {{"apiVersion", object.api_version},
        {"kind", object.kind},
        {"namespace", object.namespace_},
        {"name", object.name},
        {"uid", object.uid},
        {"resourceVersion", object.resource_version}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"source", {{"component", options_.component}, {"host", instance_}}},
      {"firstTimestamp", stamp},
      {"lastTimestamp", stamp},
      {"count", 1},
      {"reportingComponent", options_.component},
      {"reportingInstance", instance_}};
  auto created = client_->Request("POST", EventsPath(object.namespace_), event);
  if (!created.ok()) return created.status();
  ++created_;
  *written = {.name = name, .count = 1, .first = now, .last = now};
  return absl::OkStatus();
}

absl::Status EventRecorder::Record(const InvolvedObject& object,
                                   const std::string& type,
                                   const std::string& reason,
                                   const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = options_.now();
  const std::string text = message.size() > kMaxMessageBytes
                               ? message.substr(0, kMaxMessageBytes)
                               : message;
  for (auto it = written_.begin(); it != written_.end();) {
    it = now - it->second.last > options_.aggregate_window ? written_.erase(it)
                                                           : std::next(it);
  }
  if (!TakeToken(object.uid, now)) {
    ++dropped_;
    return absl::OkStatus();
  }
  const std::string key =
      absl::StrCat(object.uid, "|", type, "|", reason, "|", text);
  auto it = written_.find(key);
  if (it != written_.end()) {
    Written& w = it->second;
    const Json patch = {{"count", w.count + 1},
                        {"lastTimestamp", Rfc3339(now)}};
    auto patched = client_->Request(
        "PATCH", absl::StrCat(EventsPath(object.namespace_), "/", w.name),
        patch);
    if (patched.ok()) {
      ++w.count;
      w.last = now;
      ++aggregated_;
      return absl::OkStatus();
    }
    if (!absl::IsNotFound(patched.status())) return patched.status();
    written_.erase(it);  // expired: start a new Event
  }
  Written w;
  absl::Status s = Create(object, type, reason, text, now, &w);
  if (s.ok()) written_[key] = w;
  return s;
}

int64_t EventRecorder::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

int64_t EventRecorder::created() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

int64_t EventRecorder::aggregated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aggregated_;
}

}  // namespace ebb::executors::kubernetes::cluster
