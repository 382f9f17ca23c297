// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/job_status.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

const Json& Empty() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}
const Json& Field(const Json& o, const char* key) {
  return o.is_object() && o.contains(key) ? o[key] : Empty();
}
std::string Str(const Json& o, const char* key) {
  const Json& v = Field(o, key);
  return v.is_string() ? v.get<std::string>() : "";
}
absl::Time Time(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  if (rfc3339.empty() ||
      !absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

// The condition `type` of an object's status, or null.
const Json* Condition(const Json& o, const std::string& type) {
  const Json& conds = Field(Field(o, "status"), "conditions");
  if (!conds.is_array()) return nullptr;
  for (const Json& c : conds) {
    if (Str(c, "type") == type) return &c;
  }
  return nullptr;
}
bool IsTrue(const Json& o, const std::string& type) {
  const Json* c = Condition(o, type);
  return c != nullptr && Str(*c, "status") == "True";
}

bool PodStarted(const Json& pod, const std::vector<std::string>& conds) {
  if (conds.empty()) return IsTrue(pod, "Ready");
  return std::all_of(conds.begin(), conds.end(),
                     [&](const std::string& c) { return IsTrue(pod, c); });
}

// Why `pod` is not started yet.
void PendingReason(const Json& pod, const std::vector<std::string>& conds,
                   std::string* reason, std::string* message) {
  const Json* scheduled = Condition(pod, "PodScheduled");
  if (scheduled != nullptr && Str(*scheduled, "status") == "False") {
    *reason = Str(*scheduled, "reason");
    *message = Str(*scheduled, "message");
    return;
  }
  const Json& status = Field(pod, "status");
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    const Json& cs = Field(status, list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      const Json& waiting = Field(Field(c, "state"), "waiting");
      if (!Str(waiting, "reason").empty()) {
        *reason = Str(waiting, "reason");
        *message = Str(waiting, "message");
        return;
      }
    }
  }
  if (Str(status, "phase") == "Pending") {
    *reason = scheduled == nullptr ? "Pending" : "ContainerCreating";
    return;
  }
  if (!conds.empty()) {
    *reason = "PodConditionsNotMet";
    *message = "waiting for pod conditions " + absl::StrJoin(conds, ", ");
  } else {
    *reason = "ContainersNotReady";
    *message = "containers started, readiness not passed yet";
  }
}

std::vector<ContainerStatus> Containers(const Json& pod) {
  std::vector<ContainerStatus> out;
  const Json& cs = Field(Field(pod, "status"), "containerStatuses");
  if (!cs.is_array()) return out;
  for (const Json& c : cs) {
    ContainerStatus s;
    s.name = Str(c, "name");
    s.ready = Field(c, "ready").is_boolean() && c["ready"].get<bool>();
    s.restarts =
        Field(c, "restartCount").is_number() ? c["restartCount"].get<int>() : 0;
    const Json& state = Field(c, "state");
    const Json* term = nullptr;
    if (state.contains("running")) {
      s.state = "running";
    } else if (state.contains("terminated")) {
      s.state = "terminated";
      term = &state["terminated"];
    } else {
      s.state = "waiting";
    }
    const Json& last = Field(Field(c, "lastState"), "terminated");
    if (term == nullptr && !last.empty()) term = &last;
    if (term != nullptr) {
      if ((*term).contains("exitCode")) s.exit_code = (*term)["exitCode"];
      s.reason = Str(*term, "reason");
      s.message = Str(*term, "message");
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The earliest startedAt of a container that ran.
absl::Time FirstStart(const Json& pod) {
  absl::Time first = absl::InfiniteFuture();
  const Json& cs = Field(Field(pod, "status"), "containerStatuses");
  if (!cs.is_array()) return absl::InfinitePast();
  for (const Json& c : cs) {
    for (const char* s : {"running", "terminated"}) {
      absl::Time t = Time(Str(Field(Field(c, "state"), s), "startedAt"));
      if (t != absl::InfinitePast()) first = std::min(first, t);
    }
  }
  return first == absl::InfiniteFuture() ? absl::InfinitePast() : first;
}

}  // namespace

bool PodOfJob(const Json& pod, const Json& job) {
  const Json& meta = Field(pod, "metadata");
  const std::string uid = Str(Field(job, "metadata"), "uid");
  const Json& refs = Field(meta, "ownerReferences");
  if (refs.is_array()) {
    for (const Json& r : refs) {
      if (!uid.empty() && Str(r, "uid") == uid) return true;
    }
  }
  const Json& labels = Field(meta, "labels");
  if (!uid.empty() &&
      (Str(labels, "controller-uid") == uid ||
       Str(labels, "batch.kubernetes.io/controller-uid") == uid)) {
    return true;
  }
  const std::string job_name = Str(labels, "job-name");
  return !job_name.empty() && job_name == Str(Field(job, "metadata"), "name") &&
         Str(meta, "namespace") == Str(Field(job, "metadata"), "namespace");
}

std::vector<std::string> PodKeys(const Json& pod) {
  std::vector<std::string> keys;
  const Json& meta = Field(pod, "metadata");
  const Json& refs = Field(meta, "ownerReferences");
  if (refs.is_array()) {
    for (const Json& r : refs) {
      const std::string uid = Str(r, "uid");
      if (!uid.empty()) keys.push_back("uid:" + uid);
    }
  }
  const Json& labels = Field(meta, "labels");
  for (const char* key :
       {"controller-uid", "batch.kubernetes.io/controller-uid"}) {
    const std::string uid = Str(labels, key);
    if (!uid.empty()) keys.push_back("uid:" + uid);
  }
  const std::string job_name = Str(labels, "job-name");
  if (!job_name.empty()) {
    keys.push_back("name:" + Str(meta, "namespace") + "/" + job_name);
  }
  return keys;
}

std::vector<std::string> JobKeys(const Json& job) {
  const Json& meta = Field(job, "metadata");
  std::vector<std::string> keys;
  const std::string uid = Str(meta, "uid");
  if (!uid.empty()) keys.push_back("uid:" + uid);
  keys.push_back("name:" + Str(meta, "namespace") + "/" + Str(meta, "name"));
  return keys;
}

Job JobFromObjects(const Json& job, const std::vector<const Json*>& pods,
                   const std::vector<std::string>& conds) {
  Job j;
  const Json& meta = Field(job, "metadata");
  j.name = Str(meta, "name");
  j.namespace_ = Str(meta, "namespace");
  for (const char* which : {"labels", "annotations"}) {
    const Json& m = Field(meta, which);
    auto& out = std::string(which) == "labels" ? j.labels : j.annotations;
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  auto sj = j.labels.find("scaledjob.keda.sh/name");
  if (sj != j.labels.end()) j.scaled_job = sj->second;
  j.deleting = meta.contains("deletionTimestamp");
  j.created = Time(Str(meta, "creationTimestamp"));
  const Json& status = Field(job, "status");
  if (Field(status, "failed").is_number()) j.failed_attempts = status["failed"];

  // Newest pod first; the pod the job is judged by: a started one, else the
  // newest.
  std::vector<const Json*> sorted = pods;
  std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return Str(Field(*a, "metadata"), "creationTimestamp") >
           Str(Field(*b, "metadata"), "creationTimestamp");
  });
  const Json* started = nullptr;
  for (const Json* p : sorted) {
    if (PodStarted(*p, conds)) {
      started = p;
      break;
    }
  }
  const Json* shown = started != nullptr ? started
                      : sorted.empty()   ? nullptr
                                         : sorted.front();
  for (const Json* p : sorted) {
    absl::Time t = FirstStart(*p);
    if (t != absl::InfinitePast() &&
        (j.started == absl::InfinitePast() || t < j.started)) {
      j.started = t;
    }
  }
  if (shown != nullptr) j.containers = Containers(*shown);

  if (IsTrue(job, "Complete") || IsTrue(job, "Failed")) {
    const bool ok = IsTrue(job, "Complete");
    const Json* c = Condition(job, ok ? "Complete" : "Failed");
    j.state = ok ? JobState::kSucceeded : JobState::kFailed;
    j.finished = Time(Str(*c, "lastTransitionTime"));
    if (ok && j.finished == absl::InfinitePast()) {
      j.finished = Time(Str(status, "completionTime"));
    }
    if (!ok) {
      j.reason = Str(*c, "reason");
      j.message = Str(*c, "message");
    }
    return j;
  }
  if (started != nullptr) {
    j.state = JobState::kRunning;
    const Json* ready = Condition(*started, conds.empty() ? "Ready" : conds[0]);
    if (ready != nullptr) j.ready = Time(Str(*ready, "lastTransitionTime"));
    return j;
  }
  j.state = JobState::kPending;
  if (shown == nullptr) {
    j.reason = "NoPod";
    j.message = "the Job controller has not created a pod yet";
  } else {
    PendingReason(*shown, conds, &j.reason, &j.message);
  }
  return j;
}

Json SlimPod(const Json& pod) {
  Json out = Json::object();
  const Json& meta = Field(pod, "metadata");
  for (const char* k :
       {"name", "namespace", "uid", "labels", "ownerReferences",
        "creationTimestamp", "deletionTimestamp", "resourceVersion"}) {
    if (meta.contains(k)) out["metadata"][k] = meta[k];
  }
  const Json& containers = Field(Field(pod, "spec"), "containers");
  if (containers.is_array()) {
    for (const Json& c : containers) {
      out["spec"]["containers"].push_back({{"name", Str(c, "name")}});
    }
  }
  if (pod.contains("status")) out["status"] = pod["status"];
  return out;
}

}  // namespace ebb::executors::kubernetes
