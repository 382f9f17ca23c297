// SPDX-License-Identifier: Apache-2.0
//
// File: http/api_server.h
//
// ebb's HTTP server (cpp-httplib): the API of docs/api.md, the web UI's static
// files and /metrics, on a loopback address. Routes are registered per resource
// from routes_<resource>.cc (see api_context.h).
//
// Threading: Start/Stop from one thread; handlers run on the server's pool.
#ifndef EBB_HTTP_API_SERVER_H_
#define EBB_HTTP_API_SERVER_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "http/api_context.h"

namespace ebb::http {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port
  // The API's token travels in plain HTTP (bearer header, login link, cookie):
  // a host other than loopback is refused unless this is set (`ebb up
  // --insecure-listen`; cluster mode, Prometheus scraping, a TLS proxy).
  bool insecure_listen = false;
};

// OK for a loopback host (127.0.0.0/8, ::1, localhost) or with
// `insecure_listen`; otherwise InvalidArgument naming the host, why it is
// refused (the token would cross the network in plain text) and the flag.
absl::Status CheckListenHost(const std::string& host, bool insecure_listen);

class ApiServer {
 public:
  // `ctx` is copied; what it points to must outlive the server.
  ApiServer(ApiContext ctx, ApiServerOptions options);
  ~ApiServer();

  // Binds and serves on a background thread. FailedPrecondition naming the
  // address when it cannot bind (in use, permission).
  absl::Status Start();
  // Stops serving; open event streams end. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  ApiContext ctx_;
  ApiServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// JSON forms shared by the API and `ebb status` / `ebb jobs --output json`.
nlohmann::json ToJson(const controller::PollRecord& record);
nlohmann::json ToJson(const controller::ScaleLoop::Snapshot& snapshot);
nlohmann::json ToJson(const executors::Job& job);

}  // namespace ebb::http

#endif  // EBB_HTTP_API_SERVER_H_
