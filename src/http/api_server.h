// SPDX-License-Identifier: Apache-2.0
//
// File: http/api_server.h
//
// ebb's HTTP API on a loopback address (cpp-httplib). This endpoints:
//   GET  /healthz                       "ok"
//   GET  /api/v1/scaledjobs             every ScaledJob with its last decision
//   GET  /api/v1/scaledjobs/{name}      one, with recent decisions (?limit=N)
//   GET  /api/v1/jobs                   jobs with their state (?scaledjob=NAME)
//   GET  /api/v1/jobs/{name}/logs       a job's log (?container=C&namespace=NS)
//   POST /api/v1/requests               submit a task (JSON body); needs the
//   token GET  /metrics                       Prometheus text format
// Writes need `Authorization: Bearer <token>`; reads are open on the loopback
// address. Error bodies are JSON {"error": "..."} with a 4xx/5xx status.
//
// Threading: handlers run on cpp-httplib's worker threads and read the
// controller only through its thread-safe snapshot methods.
#ifndef EBB_HTTP_API_SERVER_H_
#define EBB_HTTP_API_SERVER_H_

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/controller.h"
#include "executors/executor.h"
#include "metrics/metrics.h"

namespace httplib {
class Server;
}

namespace ebb::http {

// Publishes one submitted request body; returns the ids it published. Errors:
// InvalidArgument (-> 400 naming the field), Unavailable (-> 503).
using SubmitFn = std::function<absl::StatusOr<std::vector<std::string>>(
    const nlohmann::json&)>;

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;    // 0 = any free port
  std::string token;  // required for writes; never logged
  size_t max_body_bytes = 64 * 1024;
};

class ApiServer {
 public:
  ApiServer(controller::Controller& controller, executors::Executor& executor,
            metrics::Registry& metrics, SubmitFn submit,
            ApiServerOptions options);
  ~ApiServer();

  // Binds and serves on a background thread. FailedPrecondition naming the
  // address when it cannot bind (in use, permission).
  absl::Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  void Routes();

  controller::Controller& controller_;
  executors::Executor& executor_;
  metrics::Registry& metrics_;
  SubmitFn submit_;
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
