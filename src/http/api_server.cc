// SPDX-License-Identifier: Apache-2.0
#include "http/api_server.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace ebb::http {
namespace {

void JsonReply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ErrorReply(httplib::Response& res, int status,
                const std::string& message) {
  JsonReply(res, status, {{"error", message}});
}

int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

ApiServer::ApiServer(controller::Controller& controller,
                     executors::Executor& executor, metrics::Registry& metrics,
                     SubmitFn submit, ApiServerOptions options)
    : controller_(controller),
      executor_(executor),
      metrics_(metrics),
      submit_(std::move(submit)),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {
  Routes();
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Routes() {
  httplib::Server& s = *server_;
  s.set_payload_max_length(options_.max_body_bytes);

  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Exposition(), "text/plain; version=0.0.4");
  });

  s.Get("/api/v1/scaledjobs",
        [this](const httplib::Request&, httplib::Response& res) {
          nlohmann::json out = nlohmann::json::array();
          for (const auto& snap : controller_.Snapshots(1))
            out.push_back(ToJson(snap));
          JsonReply(res, 200, {{"scaledJobs", out}});
        });

  s.Get(R"(/api/v1/scaledjobs/([^/]+))", [this](const httplib::Request& req,
                                                httplib::Response& res) {
    const std::string name = req.matches[1];
    size_t limit = 50;
    if (req.has_param("limit"))
      limit = std::stoul(req.get_param_value("limit"));
    for (const auto& snap : controller_.Snapshots(limit)) {
      if (snap.name == name) return JsonReply(res, 200, ToJson(snap));
    }
    ErrorReply(res, 404, absl::StrCat("no ScaledJob named \"", name, "\""));
  });

  s.Get("/api/v1/jobs", [this](const httplib::Request& req,
                               httplib::Response& res) {
    const std::string sj =
        req.has_param("scaledjob") ? req.get_param_value("scaledjob") : "";
    auto jobs = executor_.List("", sj);
    if (!jobs.ok()) return ErrorReply(res, 503, jobs.status().ToString());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) out.push_back(ToJson(j));
    JsonReply(res, 200, {{"jobs", out}});
  });

  s.Get(R"(/api/v1/jobs/([^/]+)/logs)", [this](const httplib::Request& req,
                                               httplib::Response& res) {
    const std::string name = req.matches[1];
    std::string ns =
        req.has_param("namespace") ? req.get_param_value("namespace") : "";
    if (ns.empty()) {
      auto jobs = executor_.List("", "");
      if (jobs.ok()) {
        for (const auto& j : *jobs) {
          if (j.name == name) ns = j.namespace_;
        }
      }
    }
    const std::string container =
        req.has_param("container") ? req.get_param_value("container") : "";
    auto logs = executor_.Logs(ns, name, container, 1 << 20);
    if (!logs.ok())
      return ErrorReply(res, HttpStatusFor(logs.status()),
                        std::string(logs.status().message()));
    res.set_content(*logs, "text/plain; charset=utf-8");
  });

  s.Post("/api/v1/requests", [this](const httplib::Request& req,
                                    httplib::Response& res) {
    if (options_.token.empty() ||
        req.get_header_value("Authorization") != "Bearer " + options_.token) {
      return ErrorReply(res, 401,
                        "missing or wrong bearer token (see the data "
                        "directory's token file)");
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorReply(res, 400, "body: not a JSON object");
    }
    auto ids = submit_(body);
    if (!ids.ok()) {
      return ErrorReply(res, HttpStatusFor(ids.status()),
                        std::string(ids.status().message()));
    }
    JsonReply(res, 201, {{"ids", *ids}});
  });
}

absl::Status ApiServer::Start() {
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port
                                                                : -1;
  }
  if (port_ <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port,
                     " (in use? choose another with --listen)"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  EBB_LOG_INFO("API listening on http://{}:{}", options_.host, port_);
  return absl::OkStatus();
}

void ApiServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace ebb::http
