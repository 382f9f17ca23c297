// SPDX-License-Identifier: Apache-2.0
//
// What ScaledJobStatusWriter writes: conditions and events from the cluster's
// ScaledJobs (Sync) and from each poll (Observe), with KEDA's reasons and
// messages (controllers/keda/scaledjob_controller.go,
// pkg/scaling/executor/scale_jobs.go, apis/keda/v1alpha1/condition_types.go).
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "executors/kubernetes/cluster/status_writer.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

constexpr char kReadyMessage[] =
    "ScaledJob is defined correctly and is ready to scaling";
constexpr char kTriggerErrorMessage[] =
    "Triggers defined in ScaledJob are not working correctly";
constexpr char kPartialTriggerErrorMessage[] =
    "Some triggers defined in ScaledJob are not working correctly";
constexpr char kActiveMessage[] =
    "Scaling is performed because triggers are active";
constexpr char kNotActiveMessage[] =
    "Scaling is not performed because triggers are not active";

}  // namespace

void ScaledJobStatusWriter::Queue(const Tracked& t, const std::string& type,
                                  const std::string& reason,
                                  const std::string& message) {
  if (stop_) return;
  if (events_.size() >= options_.max_queued_events) {
    events_.pop_front();
    ++stats_.events_dropped;
  }
  InvolvedObject o;
  o.namespace_ = t.id.namespace_;
  o.name = t.id.name;
  o.uid = t.id.uid;
  o.resource_version = t.id.resource_version;
  events_.push_back({std::move(o), type, reason, message});
  cv_.notify_all();
}

void ScaledJobStatusWriter::MarkDirty(Tracked* t) {
  if (t->desired.SameAs(t->written)) return;
  if (!t->dirty) t->next_try = absl::InfinitePast();
  t->dirty = true;
  cv_.notify_all();
}

void ScaledJobStatusWriter::Sync(const ClusterManifests& state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  const absl::Time now = absl::Now();
  std::map<std::string, const ScaledJobProblem*> problems;
  for (const ScaledJobProblem& p : state.problems) {
    problems[p.identity.Key()] = &p;
  }
  std::map<std::string, bool> present;
  for (const ScaledJobIdentity& id : state.scaled_jobs) {
    const std::string key = id.Key();
    present[key] = true;
    auto [it, fresh] = tracked_.try_emplace(key);
    Tracked& t = it->second;
    if (!fresh && t.id.uid != id.uid) {  // deleted and created again
      t = Tracked{};
      fresh = true;
    }
    bool force = false;
    if (fresh) {
      t.written = Conditions::FromJson(id.conditions);
      t.desired = t.written;
      force = !t.written.initialised();
    }
    const bool new_generation = !fresh && id.generation != t.id.generation;
    t.id = id;
    auto problem = problems.find(key);
    if (problem != problems.end()) {
      const std::string& message = problem->second->message;
      t.desired.Set(kReady, kFalse, "ScaledJobCheckFailed", message, now);
      t.desired.Set(kActive, kUnknown, "UnknownState", "ScaledJob check failed",
                    now);
      if (!t.failing || t.reported_generation != id.generation ||
          t.failed_message != message) {
        EBB_LOG_ERROR(
            "ScaledJob {} (generation {}) is left out, other ScaledJobs run:\n"
            "{}",
            key, id.generation, message);
        Queue(t, kWarning, "ScaledJobCheckFailed", message);
        t.reported_generation = id.generation;
        t.failed_message = message;
      }
      t.failing = true;
    } else {
      if (fresh || t.failing || new_generation) {
        if (t.desired.StatusOf(kReady) != kTrue) {
          Queue(t, kNormal, "ScaledJobReady", "ScaledJob is ready for scaling");
        }
        t.desired.Set(kReady, kTrue, "ScaledJobReady", kReadyMessage, now);
      }
      t.failing = false;
      t.failed_message.clear();
    }
    const bool paused_now = t.desired.StatusOf(kPaused) == kTrue;
    if (id.paused && !paused_now) {
      t.desired.Set(kPaused, kTrue, "ScaledJobPaused", "ScaledJob is paused",
                    now);
      Queue(t, kNormal, "ScaledJobPaused", "ScaledJob is paused");
    } else if (!id.paused && paused_now) {
      t.desired.Set(kPaused, kFalse, "ScaledJobUnpaused",
                    "ScaledJob is unpaused", now);
      Queue(t, kNormal, "ScaledJobUnpaused", "ScaledJob is unpaused");
    }
    if (force) {
      t.dirty = true;
      t.next_try = absl::InfinitePast();
      cv_.notify_all();
    }
    MarkDirty(&t);
  }
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    EBB_LOG_INFO("ScaledJob {} was deleted: its scale loop stops", it->first);
    Queue(it->second, kNormal, "ScaledJobDeleted", "ScaledJob was deleted");
    it = tracked_.erase(it);
  }
}

void ScaledJobStatusWriter::Observe(const std::string& name,
                                    const PollObservation& poll) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  Tracked* t = nullptr;
  for (auto& [key, tracked] : tracked_) {
    if (tracked.id.name == name && !tracked.failing) t = &tracked;
  }
  if (t == nullptr || poll.paused) return;
  if (poll.start) {
    Queue(*t, kNormal, "KEDAScalersStarted", "Started scalers watch");
  }
  if (poll.trigger_error && !poll.trigger_active) {
    t->desired.Set(kReady, kFalse, "TriggerError", kTriggerErrorMessage,
                   poll.time);
  } else if (poll.trigger_error) {
    t->desired.Set(kReady, kUnknown, "PartialTriggerError",
                   kPartialTriggerErrorMessage, poll.time);
  } else {
    t->desired.Set(kReady, kTrue, "ScaledJobReady", kReadyMessage, poll.time);
  }
  const bool was_active = t->desired.StatusOf(kActive) == kTrue;
  if (poll.active) {
    t->last_active = poll.time;
    t->desired.Set(kActive, kTrue, "ScalerActive", kActiveMessage, poll.time);
    if (!was_active) Queue(*t, kNormal, "ScaledJobActive", kActiveMessage);
  } else {
    t->desired.Set(kActive, kFalse, "ScalerNotActive", kNotActiveMessage,
                   poll.time);
    if (was_active) Queue(*t, kNormal, "ScaledJobInactive", kNotActiveMessage);
  }
  const int attempted = poll.created + poll.create_failures;
  if (attempted > 0) {
    Queue(*t, kNormal, "KEDAJobsCreated",
          absl::StrCat("Created ", attempted, " jobs"));
  }
  if (poll.create_failures > 0) {
    Queue(*t, kWarning, "KEDAJobCreateFailed",
          absl::StrCat("Failed to create ", poll.create_failures, " of ",
                       attempted, " jobs: ", poll.create_error));
  }
  MarkDirty(t);
}

}  // namespace ebb::executors::kubernetes::cluster
