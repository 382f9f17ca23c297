// SPDX-License-Identifier: Apache-2.0
#include "http/api_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"

namespace ebb::http {

ApiServer::ApiServer(ApiContext ctx, ApiServerOptions options)
    : ctx_(std::move(ctx)),
      options_(std::move(options)),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(ctx_.max_body_bytes);
  // Small request/response exchanges (workers' take/ack): without TCP_NODELAY,
  // Nagle plus delayed ACKs cap them at a few per second.
  server_->set_tcp_nodelay(true);
  // Each open event stream holds a worker thread; leave room for browser tabs.
  // A keep-alive connection holds a pool thread while it waits (up to the 5 s
  // keep-alive timeout), and each open event stream holds one: leave room.
  server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  // cpp-httplib closes a keep-alive connection after 5 requests by default; a
  // worker or browser then reconnects, and under load a dropped SYN costs a 1 s
  // retransmit (BENCHMARKS.md). Keep connections for many requests.
  server_->set_keep_alive_max_count(10000);
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second `ebb up`
  // bind the same port and share its traffic. Reuse the address only.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (!ctx_.cors_origin.empty()) {
    // Off by default; with --cors-origin, that one origin may call the API with
    // the bearer token (cookies are SameSite=Strict and never cross sites).
    server_->set_default_headers(
        {{"Access-Control-Allow-Origin", ctx_.cors_origin},
         {"Access-Control-Allow-Headers",
          "Authorization, Content-Type, X-Ebb-Csrf"},
         {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
         {"Vary", "Origin"}});
    server_->Options(".*", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
    });
  }
  // Every error answer carries a JSON body (docs/api.md "Errors"), also those
  // cpp-httplib writes itself: 404 for an unknown path, 413 for a body too
  // large.
  server_->set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        std::string message = "HTTP " + std::to_string(res.status);
        if (res.status == 404)
          message = "no such endpoint: " + req.method + " " + req.path;
        if (res.status == 413) message = "body too large (at most 64 KiB)";
        res.set_content(nlohmann::json{{"error", message}}.dump(),
                        "application/json");
      });
  // Authenticate writes before anything else: cpp-httplib reads (and may
  // reject with 400 or 413) a POST's body before routing, so without this a
  // caller without the token learns how the body would be judged. The routes
  // check again (reads, and cookie writes' CSRF header).
  server_->set_pre_routing_handler([this](const httplib::Request& req,
                                          httplib::Response& res) {
    const bool write =
        req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
    if (!write || req.path.rfind("/api/", 0) != 0 ||
        Authorize(ctx_, req, res, true)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // The body was not read: the connection cannot carry another request.
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  RegisterCoreRoutes(*server_, ctx_);
  RegisterRequestRoutes(*server_, ctx_);
  RegisterQueueRoutes(*server_, ctx_);
  RegisterGalleryRoutes(*server_, ctx_);
  RegisterDeadLetterRoutes(*server_, ctx_);
  RegisterEventRoutes(*server_, ctx_);
  RegisterStaticRoutes(*server_, ctx_);
}

ApiServer::~ApiServer() { Stop(); }

absl::Status CheckListenHost(const std::string& host, bool insecure_listen) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  in_addr v4{};
  in6_addr v6{};
  const bool loopback =
      h == "localhost" ||
      (::inet_pton(AF_INET, h.c_str(), &v4) == 1 &&
       (ntohl(v4.s_addr) >> 24) == 127) ||
      (::inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6));
  if (loopback || insecure_listen) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--listen ", host,
      ": not a loopback address. ebb's API and web UI speak plain HTTP, so "
      "the API token (bearer header, sign-in link and cookie) would cross the "
      "network unencrypted. Listen on 127.0.0.1 (and reach it through an SSH "
      "tunnel or a TLS proxy), or pass --insecure-listen to accept this "
      "(cluster mode, Prometheus scraping from another host)"));
}

absl::Status ApiServer::Start() {
  EBB_RETURN_IF_ERROR(CheckListenHost(options_.host, options_.insecure_listen));
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
  // stop() is a no-op until the listen loop runs: wait for it, so a Stop()
  // right after Start() cannot hang in join().
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
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
