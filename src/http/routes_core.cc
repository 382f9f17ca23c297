// SPDX-License-Identifier: Apache-2.0
// healthz, readyz, metrics, login, ScaledJobs, jobs and logs, POST requests.
#include <httplib.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "common/json_limits.h"
#include "common/names.h"
#include "http/api_context.h"
#include "http/api_server.h"

namespace ebb::http {
namespace {

// The field a validation message names: "count: must be ..." (ebb submit's
// checks) or "invalid task: seed -5 out of range ..." (the worker's).
std::string FieldOf(const std::string& msg) {
  std::string rest = msg;
  const std::string worker_prefix = "invalid task: ";
  if (rest.rfind(worker_prefix, 0) == 0) {
    rest = rest.substr(worker_prefix.size());
    return rest.substr(0, rest.find_first_of(" :"));
  }
  const size_t colon = rest.find(':');
  if (colon == std::string::npos || rest.find(' ') < colon) return "";
  return rest.substr(0, colon);
}

// "invalid: ..." for a body that is not a JSON object; the field that is wrong
// otherwise (validation happens in the submit function).
void SubmitRequest(ApiContext& ctx, const httplib::Request& req,
                   httplib::Response& res) {
  if (!Authorize(ctx, req, res, true)) return;
  // nlohmann-json's serializer recurses once per level: a body nested far
  // deeper than any request could kill `ebb up` when it is written out.
  if (!JsonNestingWithin(req.body)) {
    return ErrorReply(res, 400,
                      absl::StrCat("body: nested more than ", kMaxJsonNesting,
                                   " levels deep"));
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorReply(res, 400, "body: not a JSON object");
  }
  auto ids = ctx.submit(body);
  if (!ids.ok()) {
    const std::string msg(ids.status().message());
    std::string field;
    if (absl::IsInvalidArgument(ids.status())) field = FieldOf(msg);

    return ErrorReply(res, HttpStatusFor(ids.status()), msg, field);
  }
  JsonReply(res, 201, {{"ids", *ids}});
}

}  // namespace

void RegisterCoreRoutes(httplib::Server& s, ApiContext& ctx) {
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });

  s.Get("/readyz", [&ctx](const httplib::Request&, httplib::Response& res) {
    if (ctx.leader_election) {
      const nlohmann::json le = ctx.leader_election();
      if (!le.value("isLeader", false)) {
        // A standby serves the API and UI; its loops start if it leads.
        return res.set_content(
            "ready (standby: the leader is " +
                le.value("leader", std::string("not known yet")) + ")\n",
            "text/plain");
      }
    }
    for (const auto& snap : ctx.controller->Snapshots(1)) {
      if (snap.recent.empty()) {
        res.status = 503;
        return res.set_content(
            "not ready: scaledjob " + snap.name + " has not polled yet\n",
            "text/plain");
      }
    }
    res.set_content("ready\n", "text/plain");
  });

  s.Get("/login", [&ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string token =
        req.has_param("token") ? req.get_param_value("token") : "";
    httplib::Request probe;
    probe.headers.emplace("Authorization", "Bearer " + token);
    if (!Authorize(ctx, probe, res, true)) {
      // A person followed this link: answer in words, not JSON.
      res.status = 401;
      return res.set_content(
          "<!doctype html><meta charset=utf-8><title>ebb: sign-in "
          "failed</title>"
          "<p>This sign-in link's token is wrong or old. Use the link `ebb up` "
          "printed, "
          "or open <code>/login?token=</code> followed by the contents of the "
          "<code>token</code> file in ebb's data directory.</p>",
          "text/html; charset=utf-8");
    }
    res.set_header("Set-Cookie",
                   "ebb_token=" + token +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
    res.set_redirect("/");
  });

  s.Get(
      "/metrics", [&ctx](const httplib::Request& req, httplib::Response& res) {
        if (!ctx.public_metrics && !Authorize(ctx, req, res, false)) return;
        res.set_content(ctx.metrics->Exposition(), "text/plain; version=0.0.4");
      });

  s.Get("/api/v1/model",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          if (ctx.model_info.is_null()) {
            return ErrorReply(res, 404, "this server does not know its model");
          }
          JsonReply(res, 200, ctx.model_info);
        });

  s.Get("/api/v1/scaledjobs",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          // Live job counts beside the last decision's (which are as old as
          // that poll).
          std::map<std::string, std::pair<int, int>>
              live;  // scaledjob -> unfinished, pending
          // scaledjob -> why its jobs are pending -> how many
          std::map<std::string, std::map<std::string, int>> why;
          auto jobs = ctx.executor->List("", "");
          if (jobs.ok()) {
            for (const auto& j : *jobs) {
              if (j.Finished()) continue;
              auto& [unfinished, pending] = live[j.scaled_job];
              ++unfinished;
              if (j.state != executors::JobState::kPending) continue;
              ++pending;
              if (!j.reason.empty()) ++why[j.scaled_job][j.reason];
            }
          }
          nlohmann::json out = nlohmann::json::array();
          for (const auto& snap : ctx.controller->Snapshots(1)) {
            nlohmann::json j = ToJson(snap);
            if (jobs.ok()) {
              j["jobs"] = {{"unfinished", live[snap.name].first},
                           {"pending", live[snap.name].second},
                           {"pendingReasons", why[snap.name]}};
            }
            out.push_back(std::move(j));
          }
          nlohmann::json body = {{"scaledJobs", out}};
          if (ctx.leader_election) {
            body["leaderElection"] = ctx.leader_election();
          }
          JsonReply(res, 200, body);
        });

  s.Get(R"(/api/v1/scaledjobs/([^/]+))", [&ctx](const httplib::Request& req,
                                                httplib::Response& res) {
    if (!Authorize(ctx, req, res, false)) return;
    const std::string name = req.matches[1];
    size_t limit = 50;
    if (req.has_param("limit")) {
      limit = std::strtoul(req.get_param_value("limit").c_str(), nullptr, 10);
      limit = std::clamp<size_t>(limit, 1, 1000);
    }
    for (const auto& snap : ctx.controller->Snapshots(limit)) {
      if (snap.name == name) return JsonReply(res, 200, ToJson(snap));
    }
    ErrorReply(res, 404, absl::StrCat("no ScaledJob named \"", name, "\""));
  });

  s.Get("/api/v1/jobs", [&ctx](const httplib::Request& req,
                               httplib::Response& res) {
    if (!Authorize(ctx, req, res, false)) return;
    const std::string sj =
        req.has_param("scaledjob") ? req.get_param_value("scaledjob") : "";
    auto jobs = ctx.executor->List("", sj);
    if (!jobs.ok()) return ErrorReply(res, 503, jobs.status().ToString());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) out.push_back(ToJson(j));
    JsonReply(res, 200, {{"jobs", out}});
  });

  s.Get(R"(/api/v1/jobs/([^/]+)/logs)", [&ctx](const httplib::Request& req,
                                               httplib::Response& res) {
    if (!Authorize(ctx, req, res, false)) return;
    const std::string name = req.matches[1];
    std::string ns =
        req.has_param("namespace") ? req.get_param_value("namespace") : "";
    const std::string container =
        req.has_param("container") ? req.get_param_value("container") : "";
    // Each becomes a path in the executor: Kubernetes' name rules first.
    if (absl::Status s = ValidateDns1123Subdomain(name, "name"); !s.ok()) {
      return ErrorReply(res, 400, std::string(s.message()), "name");
    }
    if (absl::Status s = ValidateDns1123Label(ns, "namespace");
        !ns.empty() && !s.ok()) {
      return ErrorReply(res, 400, std::string(s.message()), "namespace");
    }
    if (absl::Status s = ValidateDns1123Label(container, "container");
        !container.empty() && !s.ok()) {
      return ErrorReply(res, 400, std::string(s.message()), "container");
    }
    if (ns.empty()) {
      if (auto jobs = ctx.executor->List("", ""); jobs.ok()) {
        for (const auto& j : *jobs) {
          if (j.name == name) ns = j.namespace_;
        }
      }
    }
    auto logs =
        ns.empty()
            ? absl::StatusOr<std::string>(absl::NotFoundError("no such job"))
            : ctx.executor->Logs(ns, name, container, 1 << 20);
    if (absl::IsNotFound(logs.status()) && ns.empty()) {
      return ErrorReply(
          res, 404,
          absl::StrCat("no job named \"", name,
                       "\" (finished jobs are removed once past the "
                       "ScaledJob's history limits)"));
    }
    if (!logs.ok()) {
      return ErrorReply(res, HttpStatusFor(logs.status()),
                        std::string(logs.status().message()));
    }
    res.set_content(*logs, "text/plain; charset=utf-8");
  });

  s.Post("/api/v1/requests",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           SubmitRequest(ctx, req, res);
         });
}

}  // namespace ebb::http
