// SPDX-License-Identifier: Apache-2.0
#include "absl/time/time.h"
#include "http/api_server.h"

namespace ebb::http {
namespace {

nlohmann::json TimeJson(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

nlohmann::json ToJson(const controller::PollRecord& r) {
  const auto& d = r.decision;
  nlohmann::json triggers = nlohmann::json::array();
  for (const auto& t : r.triggers) {
    nlohmann::json j = {{"name", t.name},          {"type", t.type},
                        {"metric", t.metric_name}, {"value", t.value},
                        {"target", t.target},      {"active", t.active}};
    if (!t.error.empty()) j["error"] = t.error;
    triggers.push_back(j);
  }
  nlohmann::json j = {
      {"time", TimeJson(r.time)},
      {"cause", r.cause},
      {"paused", r.paused},
      {"triggers", triggers},
      {"jobsListed", r.jobs_listed},
      {"active", d.active},
      {"queueLength", d.queue_length},
      {"maxScale", d.max_scale},
      {"runningJobs", d.running_all},
      {"pendingJobs", d.pending},
      {"minReplicaCount", d.min_replica_count},
      {"maxReplicaCount", d.max_replica_count},
      {"effectiveMaxScale", d.effective_max},
      {"scaleTo", d.scale_to},
      {"strategy", d.strategy},
      {"create", d.create},
      {"created", r.created},
      {"createFailures", r.create_failures},
      {"createdJobs", r.created_jobs},
      {"cleanedUp", r.cleaned_up},
      {"reason", d.reason},
      {"steps", d.steps},
      {"durationMs", r.duration_ms},
  };
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.start_backoff.empty()) j["startBackoff"] = r.start_backoff;
  return j;
}

nlohmann::json ToJson(const controller::ScaleLoop::Snapshot& s) {
  nlohmann::json recent = nlohmann::json::array();
  for (const auto& r : s.recent) recent.push_back(ToJson(r));
  nlohmann::json j = {{"name", s.name},
                      {"namespace", s.namespace_},
                      {"pollingInterval", s.polling_interval_s},
                      {"strategy", s.strategy},
                      {"minReplicaCount", s.min_replica_count},
                      {"maxReplicaCount", s.max_replica_count},
                      {"paused", s.paused},
                      {"recent", recent}};
  j["last"] = s.recent.empty() ? nlohmann::json(nullptr) : recent.back();
  return j;
}

nlohmann::json ToJson(const executors::Job& job) {
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& c : job.containers) {
    nlohmann::json cj = {{"name", c.name},
                         {"state", c.state},
                         {"ready", c.ready},
                         {"restarts", c.restarts}};
    cj["exitCode"] =
        c.exit_code ? nlohmann::json(*c.exit_code) : nlohmann::json(nullptr);
    if (!c.reason.empty()) cj["reason"] = c.reason;
    if (!c.message.empty()) cj["message"] = c.message;
    containers.push_back(cj);
  }
  const std::string outcome = job.Outcome();
  return {{"name", job.name},
          {"namespace", job.namespace_},
          {"scaledJob", job.scaled_job},
          {"state", executors::JobStateName(job.state)},
          {"deleting", job.deleting},
          {"generation", job.Generation()},
          {"created", TimeJson(job.created)},
          {"started", TimeJson(job.started)},
          {"ready", TimeJson(job.ready)},
          {"finished", TimeJson(job.finished)},
          {"reason", job.reason},
          {"message", job.message},
          {"failedAttempts", job.failed_attempts},
          {"outcome",
           outcome.empty() ? nlohmann::json(nullptr) : nlohmann::json(outcome)},
          {"containers", containers}};
}

}  // namespace ebb::http
