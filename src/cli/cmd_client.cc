// SPDX-License-Identifier: Apache-2.0
// `ebb status`, `ebb jobs`, `ebb logs`: read a running `ebb up` over its API.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/wiring.h"

namespace ebb::cli {
namespace {

// The token from the data directory, or "" (an `ebb up --public-reads` needs
// none).
std::string TokenOf(const ServerOptions& s) {
  auto t = ApiToken(s.data_dir, false);
  return t.ok() ? *t : "";
}

absl::StatusOr<nlohmann::json> GetJson(const ServerOptions& s,
                                       const std::string& path) {
  auto res = ApiGet(s.server, path, TokenOf(s));
  if (!res.ok()) return res.status();
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string msg = !j.is_discarded() && j.contains("error")
                          ? j["error"].get<std::string>()
                          : res->body;
    return absl::InternalError(
        absl::StrCat(path, ": HTTP ", res->status, ": ", msg));
  }
  if (j.is_discarded()) return absl::InternalError(path + ": not JSON");
  return j;
}

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace

int RunStatus(const ServerOptions& s, const std::string& output) {
  auto j = GetJson(s, "/api/v1/scaledjobs");
  if (!j.ok()) {
    std::cerr << "error: " << j.status().message() << "\n";
    return kExitFailure;
  }
  if (output == "json") {
    std::cout << j->dump(2) << "\n";
    return kExitOk;
  }
  // JOBS and PENDING are live; QUEUE is what the last poll read, AGO its age.
  std::cout << absl::StrFormat("%-24s %-9s %6s %5s %8s %4s %6s  %s\n",
                               "SCALEDJOB", "STRATEGY", "QUEUE", "JOBS",
                               "PENDING", "MAX", "AGO", "LAST DECISION");
  const absl::Time now = absl::Now();
  for (const auto& sj : (*j)["scaledJobs"]) {
    const auto& last = sj["last"];
    std::string queue = "-", ago = "-", decision = "(no poll yet)";
    std::string jobs = "-", pending = "-";
    if (sj.contains("jobs")) {
      jobs = Str(sj["jobs"], "unfinished");
      pending = Str(sj["jobs"], "pending");
    }
    if (!last.is_null()) {
      queue = Str(last, "queueLength");
      decision = Str(last, "reason");
      absl::Time t;
      std::string err;
      if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", Str(last, "time"), &t,
                          &err)) {
        ago = absl::StrCat(static_cast<int64_t>(absl::ToDoubleSeconds(now - t)),
                           "s");
      }
      if (last.contains("error")) {
        decision += " [" + last["error"].get<std::string>() + "]";
      }
      // Jobs that fail to start hold creation back: say so even when this
      // poll had nothing to create.
      if (last.contains("startBackoff") &&
          Str(last, "startBackoff") != Str(last, "error")) {
        decision += " [" + Str(last, "startBackoff") + "]";
      }
    }
    if (sj["paused"].get<bool>()) decision = "paused; " + decision;
    std::cout << absl::StrFormat("%-24s %-9s %6s %5s %8s %4s %6s  %s\n",
                                 Str(sj, "name"), Str(sj, "strategy"), queue,
                                 jobs, pending, Str(sj, "maxReplicaCount"), ago,
                                 decision);
  }
  return kExitOk;
}

int RunJobs(const ServerOptions& s, const std::string& output) {
  auto j = GetJson(s, "/api/v1/jobs");
  if (!j.ok()) {
    std::cerr << "error: " << j.status().message() << "\n";
    return kExitFailure;
  }
  if (output == "json") {
    std::cout << j->dump(2) << "\n";
    return kExitOk;
  }
  // STATE is the job's (it ran to the end: succeeded); OUTCOME is what became
  // of the request it took (done, failed, dead-lettered, no message...).
  std::cout << absl::StrFormat("%-32s %-24s %-10s %-14s %-24s %s\n", "NAME",
                               "SCALEDJOB", "STATE", "OUTCOME", "CREATED",
                               "REASON");
  for (const auto& job : (*j)["jobs"]) {
    std::string state = Str(job, "state");
    if (job["deleting"].get<bool>()) state += "*";
    std::cout << absl::StrFormat("%-32s %-24s %-10s %-14s %-24s %s\n",
                                 Str(job, "name"), Str(job, "scaledJob"), state,
                                 Str(job, "outcome"), Str(job, "created"),
                                 job["reason"].get<std::string>());
  }
  return kExitOk;
}

int RunLogs(const ServerOptions& s, const std::string& job,
            const std::string& container) {
  std::string path = "/api/v1/jobs/" + job + "/logs";
  if (!container.empty()) path += "?container=" + container;
  auto res = ApiGet(s.server, path, TokenOf(s));
  if (!res.ok()) {
    std::cerr << "error: " << res.status().message() << "\n";
    return kExitFailure;
  }
  if (res->status != 200) {
    std::cerr << "error: " << res->body << "\n";
    return kExitFailure;
  }
  std::cout << res->body;
  return kExitOk;
}

}  // namespace ebb::cli
