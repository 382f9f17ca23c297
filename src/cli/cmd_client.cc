// SPDX-License-Identifier: Apache-2.0
// `ebb status`, `ebb jobs`, `ebb logs`: read a running `ebb up` over its API.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/client.h"
#include "cli/commands.h"
namespace ebb::cli {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  return Text(j, key);
}

}  // namespace

int RunStatus(const ServerOptions& s, const std::string& output) {
  int rc = kExitOk;
  auto j = CallApi(ConnectApi(s), "GET", "/api/v1/scaledjobs", "", &rc);
  if (!j) return rc;
  if (output == "json") {
    std::cout << j->dump(2) << "\n";
    return kExitOk;
  }
  if (j->contains("leaderElection")) {
    // Several replicas: only the Lease's holder runs the scale loops.
    const auto& le = (*j)["leaderElection"];
    const std::string leader = Str(le, "leader");
    std::cout << "leader: " << (leader.empty() ? "(none yet)" : leader)
              << "  (this replica " << Str(le, "identity") << ": "
              << (le.value("isLeader", false)
                      ? "leading"
                      : "standby, its scale loops do not run")
              << "; Lease " << Str(le, "lease") << ")\n";
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
    // Why jobs wait: "Unschedulable", "ImagePullBackOff", "ContainerCreating"
    // (Kubernetes), "ContainersNotReady" (model loading)...
    if (sj.contains("jobs") && sj["jobs"].contains("pendingReasons")) {
      std::string reasons;
      for (const auto& [reason, n] : sj["jobs"]["pendingReasons"].items()) {
        absl::StrAppend(&reasons, reasons.empty() ? "" : ", ", n.get<int>(),
                        " ", reason);
      }
      if (!reasons.empty()) decision += " [pending: " + reasons + "]";
    }
    std::cout << absl::StrFormat("%-24s %-9s %6s %5s %8s %4s %6s  %s\n",
                                 Str(sj, "name"), Str(sj, "strategy"), queue,
                                 jobs, pending, Str(sj, "maxReplicaCount"), ago,
                                 decision);
  }
  return kExitOk;
}

int RunJobs(const JobsOptions& o) {
  int rc = kExitOk;
  std::string path = "/api/v1/jobs";
  if (!o.scaled_job.empty()) {
    path += "?scaledjob=" + UrlEncode(o.scaled_job);
  }
  auto j = CallApi(ConnectApi(o.server), "GET", path, "", &rc);
  if (!j) return rc;
  if (o.output == "json") {
    std::cout << j->dump(2) << "\n";
    return kExitOk;
  }
  // STATE is the job's (it ran to the end: succeeded); OUTCOME is what became
  // of the request it took (done, failed, dead-lettered, no message...). AGE
  // counts from its creation; DURATION from its start to its end (or now).
  const bool wide = o.output == "wide";
  const absl::Time now = absl::Now();
  std::cout << absl::StrFormat(
      "%-32s %-24s %-10s %-14s %-6s %-8s %s%s\n", "NAME", "SCALEDJOB", "STATE",
      "OUTCOME", "AGE", "DURATION", wide ? "CREATED                  " : "",
      "REASON");
  for (const auto& job : (*j)["jobs"]) {
    std::string state = Str(job, "state");
    if (job.value("deleting", false)) state += "*";
    std::string duration = "-";
    if (auto started = ParseIso(job["started"])) {
      auto finished = ParseIso(job["finished"]);
      duration = HumanDuration((finished ? *finished : now) - *started);
    }
    std::cout << absl::StrFormat(
        "%-32s %-24s %-10s %-14s %-6s %-8s %s%s\n", Str(job, "name"),
        Str(job, "scaledJob"), state, Str(job, "outcome"),
        AgeOf(job["created"], now), duration,
        wide ? absl::StrFormat("%-24s ", Str(job, "created")) : "",
        job.value("reason", ""));
  }
  return kExitOk;
}

namespace {

// The last `n` lines of `text` (all when n < 0).
std::string LastLines(const std::string& text, int n) {
  if (n < 0) return text;
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int i = 0; i < n; ++i) {
    size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
    if (i == n - 1) return text.substr(pos + 1);
  }
  return n == 0 ? "" : text;
}

// What `now` adds to `before` (the same log read again, its window possibly
// moved on: the API returns the last 1 MiB).
std::string Appended(const std::string& before, const std::string& now) {
  if (now.compare(0, before.size(), before) == 0)
    return now.substr(before.size());
  // The window moved: find the end of what was printed.
  const std::string tail =
      before.substr(before.size() - std::min<size_t>(before.size(), 4096));
  const size_t at = now.rfind(tail);
  return at == std::string::npos ? now : now.substr(at + tail.size());
}

}  // namespace

int RunLogs(const LogsOptions& o) {
  const Api api = ConnectApi(o.server);
  std::string path = "/api/v1/jobs/" + UrlEncode(o.job) + "/logs";
  if (!o.container.empty()) {
    path += "?container=" + UrlEncode(o.container);
  }
  int rc = kExitOk;
  std::string text;
  if (!CallApi(api, "GET", path, "", &rc, &text)) return rc;
  std::cout << LastLines(text, o.tail) << std::flush;
  if (!o.follow) return kExitOk;
  // -f: read again every poll_s until the job has finished (and its last
  // lines are printed) or `ebb up` goes away.
  const std::string job_path = "/api/v1/jobs";
  while (true) {
    bool finished = false;
    if (auto jobs = CallApi(api, "GET", job_path, "", &rc)) {
      finished = true;  // a job no longer listed is gone: stop
      for (const auto& job : (*jobs)["jobs"]) {
        if (job.value("name", "") != o.job) continue;
        const std::string state = job.value("state", "");
        finished = state == "succeeded" || state == "failed";
      }
    } else {
      return rc;
    }
    std::string again;
    if (!CallApi(api, "GET", path, "", &rc, &again)) return rc;
    std::cout << Appended(text, again) << std::flush;
    text = std::move(again);
    if (finished) return kExitOk;
    absl::SleepFor(absl::Seconds(o.poll_s));
  }
}

}  // namespace ebb::cli
