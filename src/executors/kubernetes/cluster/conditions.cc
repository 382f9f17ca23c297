// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/conditions.h"

namespace ebb::executors::kubernetes::cluster {

using Json = nlohmann::json;

namespace {

constexpr const char* kInitialised[] = {kReady, kActive, kFallback, kPaused};

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

Conditions::Conditions() {
  for (const char* type : kInitialised) {
    conditions_.push_back({.type = type, .status = kUnknown});
  }
}

Conditions Conditions::FromJson(const Json& conditions) {
  Conditions out;
  if (!conditions.is_array()) {
    out.initialised_ = false;
    return out;
  }
  out.conditions_.clear();
  for (const Json& c : conditions) {
    if (!c.is_object()) continue;
    out.conditions_.push_back(
        {.type = c.value("type", ""),
         .status = c.value("status", ""),
         .reason = c.value("reason", ""),
         .message = c.value("message", ""),
         .last_transition_time = c.value("lastTransitionTime", "")});
  }
  for (const char* type : kInitialised) {
    if (out.Find(type) != nullptr) continue;
    out.conditions_.push_back({.type = type, .status = kUnknown});
    out.initialised_ = false;
  }
  return out;
}

Json Conditions::ToJson() const {
  Json out = Json::array();
  for (const Condition& c : conditions_) {
    Json j = {{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    if (!c.last_transition_time.empty()) {
      j["lastTransitionTime"] = c.last_transition_time;
    }
    out.push_back(std::move(j));
  }
  return out;
}

bool Conditions::Set(const std::string& type, const std::string& status,
                     const std::string& reason, const std::string& message,
                     absl::Time now) {
  Condition* c = nullptr;
  for (Condition& existing : conditions_) {
    if (existing.type == type) c = &existing;
  }
  if (c == nullptr) {
    conditions_.push_back({.type = type});
    c = &conditions_.back();
  }
  if (c->status == status && c->reason == reason && c->message == message) {
    return false;
  }
  if (c->status != status) c->last_transition_time = Rfc3339(now);
  c->status = status;
  c->reason = reason;
  c->message = message;
  return true;
}

const Condition* Conditions::Find(const std::string& type) const {
  for (const Condition& c : conditions_) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::string Conditions::StatusOf(const std::string& type) const {
  const Condition* c = Find(type);
  return c == nullptr || c->status.empty() ? kUnknown : c->status;
}

bool Conditions::SameAs(const Conditions& other) const {
  if (conditions_.size() != other.conditions_.size()) return false;
  for (size_t i = 0; i < conditions_.size(); ++i) {
    const Condition& a = conditions_[i];
    const Condition& b = other.conditions_[i];
    if (a.type != b.type || a.status != b.status || a.reason != b.reason ||
        a.message != b.message) {
      return false;
    }
  }
  return true;
}

}  // namespace ebb::executors::kubernetes::cluster
