// SPDX-License-Identifier: Apache-2.0
#include "executors/local/job_files.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"

namespace ebb::executors::local {
namespace {

using nlohmann::json;

json TimeToJson(absl::Time t) {
  if (t == absl::InfinitePast()) return nullptr;
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::Time TimeFromJson(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return absl::InfinitePast();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, j[key].get<std::string>(), &t, &err))
    return absl::InfinitePast();
  return t;
}

JobState StateFromName(const std::string& s) {
  if (s == "running") return JobState::kRunning;
  if (s == "succeeded") return JobState::kSucceeded;
  if (s == "failed") return JobState::kFailed;
  return JobState::kPending;
}

Readiness ReadinessFromName(const std::string& s) {
  if (s == "notify") return Readiness::kNotify;
  if (s == "probe") return Readiness::kProbe;
  return Readiness::kStarted;
}

json EnvToJson(const std::vector<std::pair<std::string, std::string>>& env) {
  json a = json::array();
  for (const auto& [k, v] : env) a.push_back(json::array({k, v}));
  return a;
}

absl::StatusOr<json> ReadJson(const std::string& path) {
  EBB_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return absl::DataLossError(absl::StrCat(path, ": not a JSON object"));
  return j;
}

}  // namespace

std::string ReadinessName(Readiness r) {
  switch (r) {
    case Readiness::kStarted:
      return "started";
    case Readiness::kNotify:
      return "notify";
    case Readiness::kProbe:
      return "probe";
  }
  return "started";
}

absl::Status WriteJobFile(const std::string& dir, const JobFile& job) {
  json j;
  j["name"] = job.name;
  j["namespace"] = job.namespace_;
  j["scaledJob"] = job.scaled_job;
  j["labels"] = job.labels;
  j["annotations"] = job.annotations;
  j["created"] = TimeToJson(job.created);
  j["restartPolicy"] = job.restart_policy;
  j["backoffLimit"] = job.backoff_limit;
  if (job.active_deadline_seconds)
    j["activeDeadlineSeconds"] = *job.active_deadline_seconds;
  j["terminationGracePeriodSeconds"] = job.termination_grace_period_seconds;
  json cs = json::array();
  for (const ContainerSpec& c : job.containers) {
    json cj;
    cj["name"] = c.name;
    cj["image"] = c.image;
    cj["skip"] = c.skip;
    cj["argv"] = c.argv;
    cj["env"] = EnvToJson(c.env);
    cj["cwd"] = c.cwd;
    json ms = json::array();
    for (const MountSpec& m : c.mounts)
      ms.push_back({{"volume", m.volume},
                    {"mountPath", m.mount_path},
                    {"hostPath", m.host_path},
                    {"readOnly", m.read_only}});
    cj["volumeMounts"] = ms;
    cj["readiness"] = ReadinessName(c.readiness);
    if (c.probe) {
      cj["readinessProbe"] = {
          {"argv", c.probe->argv},
          {"initialDelaySeconds", c.probe->initial_delay_seconds},
          {"periodSeconds", c.probe->period_seconds},
          {"timeoutSeconds", c.probe->timeout_seconds},
          {"successThreshold", c.probe->success_threshold},
          {"failureThreshold", c.probe->failure_threshold}};
    }
    cs.push_back(cj);
  }
  j["containers"] = cs;
  return WriteFileAtomic(JobJsonPath(dir), j.dump(2));
}

absl::StatusOr<JobFile> ReadJobFile(const std::string& dir) {
  EBB_ASSIGN_OR_RETURN(json j, ReadJson(JobJsonPath(dir)));
  JobFile job;
  try {
    job.name = j.value("name", "");
    job.namespace_ = j.value("namespace", "");
    job.scaled_job = j.value("scaledJob", "");
    job.labels = j.value("labels", std::map<std::string, std::string>{});
    job.annotations =
        j.value("annotations", std::map<std::string, std::string>{});
    job.created = TimeFromJson(j, "created");
    job.restart_policy = j.value("restartPolicy", "OnFailure");
    job.backoff_limit = j.value("backoffLimit", 6);
    if (j.contains("activeDeadlineSeconds"))
      job.active_deadline_seconds = j["activeDeadlineSeconds"].get<int64_t>();
    job.termination_grace_period_seconds =
        j.value("terminationGracePeriodSeconds", int64_t{30});
    for (const json& cj : j.value("containers", json::array())) {
      ContainerSpec c;
      c.name = cj.value("name", "");
      c.image = cj.value("image", "");
      c.skip = cj.value("skip", false);
      c.argv = cj.value("argv", std::vector<std::string>{});
      for (const json& e : cj.value("env", json::array()))
        c.env.emplace_back(e.at(0).get<std::string>(),
                           e.at(1).get<std::string>());
      c.cwd = cj.value("cwd", "");
      for (const json& m : cj.value("volumeMounts", json::array()))
        c.mounts.push_back(
            MountSpec{m.value("volume", ""), m.value("mountPath", ""),
                      m.value("hostPath", ""), m.value("readOnly", false)});
      c.readiness = ReadinessFromName(cj.value("readiness", "started"));
      if (cj.contains("readinessProbe")) {
        const json& p = cj["readinessProbe"];
        ProbeSpec ps;
        ps.argv = p.value("argv", std::vector<std::string>{});
        ps.initial_delay_seconds = p.value("initialDelaySeconds", 0);
        ps.period_seconds = p.value("periodSeconds", 10);
        ps.timeout_seconds = p.value("timeoutSeconds", 1);
        ps.success_threshold = p.value("successThreshold", 1);
        ps.failure_threshold = p.value("failureThreshold", 3);
        c.probe = ps;
      }
      job.containers.push_back(std::move(c));
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(JobJsonPath(dir), ": ", e.what()));
  }
  return job;
}

absl::Status WriteStateFile(const std::string& dir, const StateFile& s) {
  json j;
  j["state"] = JobStateName(s.state);
  j["created"] = TimeToJson(s.created);
  j["started"] = TimeToJson(s.started);
  j["ready"] = TimeToJson(s.ready);
  j["finished"] = TimeToJson(s.finished);
  j["reason"] = s.reason;
  j["message"] = s.message;
  j["failedAttempts"] = s.failed_attempts;
  json cs = json::array();
  for (const ContainerStatus& c : s.containers) {
    json cj = {{"name", c.name},
               {"state", c.state},
               {"ready", c.ready},
               {"restarts", c.restarts}};
    cj["exitCode"] = c.exit_code ? json(*c.exit_code) : json(nullptr);
    if (!c.reason.empty()) cj["reason"] = c.reason;
    if (!c.message.empty()) cj["message"] = c.message;
    cs.push_back(cj);
  }
  j["containers"] = cs;
  return WriteFileAtomic(StateJsonPath(dir), j.dump(2));
}

absl::StatusOr<StateFile> ReadStateFile(const std::string& dir) {
  EBB_ASSIGN_OR_RETURN(json j, ReadJson(StateJsonPath(dir)));
  StateFile s;
  try {
    s.state = StateFromName(j.value("state", "pending"));
    s.created = TimeFromJson(j, "created");
    s.started = TimeFromJson(j, "started");
    s.ready = TimeFromJson(j, "ready");
    s.finished = TimeFromJson(j, "finished");
    s.reason = j.value("reason", "");
    s.message = j.value("message", "");
    s.failed_attempts = j.value("failedAttempts", 0);
    for (const json& cj : j.value("containers", json::array())) {
      ContainerStatus c;
      c.name = cj.value("name", "");
      c.state = cj.value("state", "waiting");
      c.ready = cj.value("ready", false);
      c.restarts = cj.value("restarts", 0);
      if (cj.contains("exitCode") && cj["exitCode"].is_number_integer())
        c.exit_code = cj["exitCode"].get<int>();
      c.reason = cj.value("reason", "");
      c.message = cj.value("message", "");
      s.containers.push_back(c);
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(StateJsonPath(dir), ": ", e.what()));
  }
  return s;
}

absl::Status WriteSupervisorFile(const std::string& dir,
                                 const SupervisorFile& sup) {
  json j = {{"pid", sup.pid}, {"startTime", sup.start_time}};
  return WriteFileAtomic(SupervisorJsonPath(dir), j.dump());
}

absl::StatusOr<SupervisorFile> ReadSupervisorFile(const std::string& dir) {
  EBB_ASSIGN_OR_RETURN(json j, ReadJson(SupervisorJsonPath(dir)));
  SupervisorFile s;
  try {
    s.pid = j.value("pid", 0);
    s.start_time = j.value("startTime", uint64_t{0});
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(SupervisorJsonPath(dir), ": ", e.what()));
  }
  return s;
}

StateFile InitialState(const JobFile& job) {
  StateFile s;
  s.created = job.created;
  for (const ContainerSpec& c : job.containers) {
    ContainerStatus cs;
    cs.name = c.name;
    cs.state = c.skip ? "skipped" : "waiting";
    s.containers.push_back(cs);
  }
  return s;
}

Job MakeJob(const JobFile& job, const StateFile& state) {
  Job j;
  j.name = job.name;
  j.namespace_ = job.namespace_;
  j.scaled_job = job.scaled_job;
  j.labels = job.labels;
  j.annotations = job.annotations;
  j.state = state.state;
  j.created =
      state.created != absl::InfinitePast() ? state.created : job.created;
  j.started = state.started;
  j.ready = state.ready;
  j.finished = state.finished;
  j.reason = state.reason;
  j.message = state.message;
  j.failed_attempts = state.failed_attempts;
  j.containers = state.containers;
  return j;
}

}  // namespace ebb::executors::local
