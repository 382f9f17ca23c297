// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/testing/fake_api_server.h"

#include <httplib.h>

#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "executors/kubernetes/testing/job_validation.h"

namespace ebb::executors::kubernetes::testing {

namespace {

std::optional<FakeApiServer::Route> ParseRoute(const httplib::Request& req);

void Reply(httplib::Response& res, int code, const Json& body) {
  res.status = code;
  res.set_content(body.dump(), "application/json");
}

void ReplyStatus(httplib::Response& res, int code, const std::string& reason,
                 const std::string& message, const Json& details = {}) {
  Reply(res, code,
        StatusBody(code, reason, message,
                   details.is_null() ? Json::object() : details));
}

bool IsTrue(const std::string& v) { return v == "1" || v == "true"; }

}  // namespace

Json StatusBody(int code, const std::string& reason, const std::string& message,
                const Json& details) {
  Json s = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!details.empty()) s["details"] = details;
  return s;
}

namespace {

std::optional<FakeApiServer::Route> ParseRoute(const httplib::Request& req) {
  static const std::regex kPath(
      R"(^/(?:api/(v1)|apis/([^/]+)/([^/]+))(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?(?:/([^/]+))?$)");
  std::smatch m;
  if (!std::regex_match(req.path, m, kPath)) return std::nullopt;
  FakeApiServer::Route r;
  r.version = m[1].matched ? m[1].str() : m[3].str();
  r.group = m[2].matched ? m[2].str() : "";
  r.ns = m[4].str();
  r.resource = m[5].str();
  r.name = m[6].str();
  r.subresource = m[7].str();
  if (req.method == "GET") {
    r.verb = !r.name.empty()                        ? "get"
             : IsTrue(req.get_param_value("watch")) ? "watch"
                                                    : "list";
  } else if (req.method == "POST") {
    r.verb = "create";
  } else if (req.method == "PUT") {
    r.verb = "update";
  } else if (req.method == "PATCH") {
    r.verb = "patch";
  } else if (req.method == "DELETE") {
    r.verb = r.name.empty() ? "deletecollection" : "delete";
  }
  return r;
}

}  // namespace

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : options_(std::move(options)),
      store_(options_.store != nullptr ? options_.store
                                       : std::make_shared<FakeApiStore>(
                                             options_.history_limit,
                                             options_.graceful_pod_deletion)) {}

FakeApiServer::~FakeApiServer() { Stop(); }

std::string FakeApiServer::url() const {
  const bool tls = !options_.tls_cert_file.empty();
  return absl::StrCat(tls ? "https" : "http", "://", options_.host, ":", port_);
}

absl::Status FakeApiServer::Start() {
  stopping_ = false;
  return Listen();
}

absl::Status FakeApiServer::Listen() {
  if (!options_.tls_cert_file.empty()) {
    server_ = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(),
        options_.client_ca_file.empty() ? nullptr
                                        : options_.client_ca_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    return absl::InternalError("fake API server: bad TLS certificate or key");
  }
  server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  server_->set_keep_alive_timeout(1);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  const int want = port_ != 0 ? port_ : options_.port;
  if (want != 0) {
    if (!server_->bind_to_port(options_.host.c_str(), want)) {
      return absl::InternalError(
          absl::StrCat("fake API server: cannot bind port ", want));
    }
    port_ = want;
  } else {
    port_ = server_->bind_to_any_port(options_.host.c_str());
    if (port_ < 0) return absl::InternalError("fake API server: cannot bind");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the listen loop runs: wait for it.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!server_->is_running()) {
    if (absl::Now() > deadline) {
      return absl::InternalError("fake API server: listen loop did not start");
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

void FakeApiServer::Stop() {
  if (!server_) return;
  stopping_ = true;
  store_->Notify();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

absl::Status FakeApiServer::Restart() {
  Stop();
  store_->Compact();
  stopping_ = false;
  return Listen();
}

void FakeApiServer::Deny(const std::string& verb, const std::string& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  denied_.insert({verb, resource});
}

void FakeApiServer::Allow(const std::string& verb,
                          const std::string& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  denied_.erase({verb, resource});
}

void FakeApiServer::FailNext(const std::string& verb,
                             const std::string& resource, int code, int count,
                             int retry_after_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.push_back({verb, resource, code, count, retry_after_seconds});
}

void FakeApiServer::DropWatches() {
  ++drop_generation_;
  store_->Notify();
}

void FakeApiServer::SendBookmarks() {
  ++bookmark_generation_;
  store_->Notify();
}

void FakeApiServer::SetLog(const std::string& ns, const std::string& pod,
                           const std::string& container,
                           const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_[absl::StrCat(ns, "/", pod, "/", container)] = text;
}

void FakeApiServer::SetRequestHook(std::function<void(const Route&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

int FakeApiServer::Requests(const std::string& verb,
                            const std::string& resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& [key, count] : requests_) {
    const size_t sp = key.find(' ');
    if ((verb.empty() || key.substr(0, sp) == verb) &&
        (resource.empty() || key.substr(sp + 1) == resource)) {
      n += count;
    }
  }
  return n;
}

bool FakeApiServer::Authorized(const Route& route, const httplib::Request& req,
                               httplib::Response& res) {
  if (!options_.token.empty() &&
      req.get_header_value("Authorization") != "Bearer " + options_.token) {
    ReplyStatus(res, 401, "Unauthorized", "Unauthorized");
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (denied_.count({route.verb, route.RbacResource()}) == 0) return true;
  const std::string what =
      route.name.empty()
          ? route.Qualified()
          : absl::StrCat(route.Qualified(), " \"", route.name, "\"");
  const std::string scope =
      route.ns.empty() ? "at the cluster scope"
                       : absl::StrCat("in the namespace \"", route.ns, "\"");
  Json details = {{"group", route.group}, {"kind", route.resource}};
  if (!route.name.empty()) details["name"] = route.name;
  ReplyStatus(
      res, 403, "Forbidden",
      absl::StrCat(what, " is forbidden: User \"", options_.user, "\" cannot ",
                   route.verb, " resource \"", route.RbacResource(),
                   "\" in API group \"", route.group, "\" ", scope),
      details);
  return false;
}

bool FakeApiServer::Injected(const Route& route, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if ((!it->verb.empty() && it->verb != route.verb) ||
        (!it->resource.empty() && it->resource != route.resource)) {
      continue;
    }
    const Failure f = *it;
    if (--it->count <= 0) failures_.erase(it);
    switch (f.code) {
      case 410:
        ReplyStatus(res, 410, "Expired", "too old resource version");
        break;
      case 429:
        res.set_header("Retry-After", std::to_string(f.retry_after));
        ReplyStatus(res, 429, "TooManyRequests",
                    "Too many requests, please try again later.",
                    {{"retryAfterSeconds", f.retry_after}});
        break;
      case 503:
        ReplyStatus(res, 503, "ServiceUnavailable",
                    "the server is currently unable to handle the request");
        break;
      case 504:
        ReplyStatus(res, 504, "Timeout",
                    "the server was unable to return a response in time");
        break;
      default:
        ReplyStatus(res, f.code, "InternalError",
                    "Internal error occurred: injected failure");
    }
    return true;
  }
  return false;
}

void FakeApiServer::Handle(const httplib::Request& req,
                           httplib::Response& res) {
  std::optional<Route> route = ParseRoute(req);
  if (!route) {
    ReplyStatus(res, 404, "NotFound",
                "the server could not find the requested resource");
    return;
  }
  std::function<void(const Route&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[absl::StrCat(route->verb, " ", route->RbacResource())];
    hook = hook_;
  }
  if (hook) hook(*route);
  if (!Authorized(*route, req, res) || Injected(*route, res)) return;
  Serve(*route, req, res);
}

void FakeApiServer::Serve(const Route& route, const httplib::Request& req,
                          httplib::Response& res) {
  const ResourceInfo info = LookupResource(route.resource);
  const std::string kind_name =
      route.group.empty() ? route.resource
                          : absl::StrCat(route.resource, ".", route.group);
  auto not_found = [&](const std::string& name) {
    ReplyStatus(
        res, 404, "NotFound",
        absl::StrCat(kind_name, " \"", name, "\" not found"),
        {{"name", name}, {"group", route.group}, {"kind", route.resource}});
  };
  if (route.verb == "watch") return ServeWatch(route, req, res);
  if (route.verb == "list") {
    auto sel = LabelSelector::Parse(req.get_param_value("labelSelector"));
    if (!sel.ok()) {
      return ReplyStatus(res, 400, "BadRequest",
                         std::string(sel.status().message()));
    }
    int64_t rv = 0;
    Json items = store_->List(route.resource, route.ns, *sel, &rv);
    return Reply(res, 200,
                 {{"kind", info.kind + "List"},
                  {"apiVersion", info.ApiVersion()},
                  {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                  {"items", items}});
  }
  if (route.verb == "get" && route.subresource == "log") {
    std::optional<Json> pod = store_->Get("pods", route.ns, route.name);
    if (!pod) return not_found(route.name);
    std::string container = req.get_param_value("container");
    if (container.empty()) {
      container = (*pod)["spec"]["containers"][0].value("name", "");
    }
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mu_);
      text = logs_[absl::StrCat(route.ns, "/", route.name, "/", container)];
    }
    int64_t limit = 0;
    if (absl::SimpleAtoi(req.get_param_value("limitBytes"), &limit) &&
        limit > 0 && static_cast<size_t>(limit) < text.size()) {
      text.resize(limit);
    }
    res.status = 200;
    res.set_content(text, "text/plain");
    return;
  }
  if (route.verb == "get") {
    std::optional<Json> o = store_->Get(route.resource, route.ns, route.name);
    return o ? Reply(res, 200, *o) : not_found(route.name);
  }
  Json body = Json::parse(req.body, nullptr, false);
  if (route.verb == "create" || route.verb == "update") {
    if (body.is_discarded() || !body.is_object()) {
      return ReplyStatus(res, 400, "BadRequest",
                         "the request body is not a JSON object");
    }
    const std::string body_ns = body.contains("metadata")
                                    ? body["metadata"].value("namespace", "")
                                    : "";
    if (!body_ns.empty() && body_ns != route.ns) {
      return ReplyStatus(res, 400, "BadRequest",
                         "the namespace of the provided object does not "
                         "match the namespace sent on the request");
    }
  }
  if (route.verb == "create") {
    if (route.resource == "jobs") {
      Json causes = ValidateJob(body);
      if (!causes.empty()) {
        const std::string name = body["metadata"].value("name", "");
        std::vector<std::string> parts;
        for (const Json& c : causes) {
          parts.push_back(
              absl::StrCat(c.value("field", ""), ": ", c.value("message", "")));
        }
        return ReplyStatus(
            res, 422, "Invalid",
            absl::StrCat(
                "Job.batch \"", name, "\" is invalid: ",
                parts.size() == 1
                    ? parts[0]
                    : absl::StrCat("[", absl::StrJoin(parts, ", "), "]")),
            {{"name", name},
             {"group", "batch"},
             {"kind", "Job"},
             {"causes", causes}});
      }
    }
    if (route.resource == "secrets") NormalizeSecret(body);
    auto created =
        store_->Create(route.resource, route.ns, body,
                       route.resource == "jobs" ? DefaultJob : nullptr);
    if (!created.ok()) {
      const std::string name(created.status().message());
      return ReplyStatus(
          res, 409, "AlreadyExists",
          absl::StrCat(kind_name, " \"", name, "\" already exists"),
          {{"name", name}, {"group", route.group}, {"kind", route.resource}});
    }
    return Reply(res, 201, *created);
  }
  if (route.verb == "update" || route.verb == "patch") {
    return ServeUpdate(route, req, res);
  }
  if (route.verb == "delete") {
    std::string policy = req.get_param_value("propagationPolicy");
    if (body.is_object() && body.contains("propagationPolicy")) {
      policy = body.value("propagationPolicy", "");
    }
    auto deleted = store_->Delete(route.resource, route.ns, route.name, policy);
    return deleted.ok() ? Reply(res, 200, *deleted) : not_found(route.name);
  }
  ReplyStatus(res, 405, "MethodNotAllowed",
              absl::StrCat("the server does not allow this method on the "
                           "requested resource (",
                           route.verb, ")"));
}

}  // namespace ebb::executors::kubernetes::testing
