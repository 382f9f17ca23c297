// SPDX-License-Identifier: Apache-2.0
//
// File: http/api_context.h
//
// What the API's route handlers may use, and the helpers they share (auth, JSON
// replies). Each resource registers its routes from its own file
// (routes_<resource>.cc) through a Register*Routes function declared here.
//
// Threading: handlers run on cpp-httplib's worker threads; everything reachable
// from ApiContext is thread-safe (see each interface).
#ifndef EBB_HTTP_API_CONTEXT_H_
#define EBB_HTTP_API_CONTEXT_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/controller.h"
#include "executors/executor.h"
#include "metrics/metrics.h"
#include "queue/message_queue.h"
#include "storage/object_store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ebb::queue::embedded {
class EmbeddedQueue;
}

namespace ebb::http {

class EventHub;

// Publishes one submitted request body; returns the ids it published. Errors:
// InvalidArgument (-> 400 naming the field), Unavailable (-> 503).
using SubmitFn = std::function<absl::StatusOr<std::vector<std::string>>(
    const nlohmann::json&)>;

// Opens a connection to the work queue's broker (for dead letters). Each call
// may return a fresh connection; the caller owns it.
using QueueOpener =
    std::function<absl::StatusOr<std::unique_ptr<queue::MessageQueue>>()>;

struct ApiContext {
  controller::Controller* controller = nullptr;  // required
  executors::Executor* executor = nullptr;       // required
  metrics::Registry* metrics = nullptr;          // required
  storage::ObjectStore* store = nullptr;         // results; null = no gallery
  queue::embedded::EmbeddedQueue* embedded_queue = nullptr;  // single-node mode
  EventHub* events = nullptr;  // null = no /api/v1/events
  SubmitFn submit;
  QueueOpener open_queue;  // dead letters; null = 503
  std::string work_queue = "tasks";
  std::string token;            // never logged
  bool public_reads = false;    // GET without token
  bool public_metrics = false;  // GET /metrics without token
  std::string cors_origin;      // "" = CORS off
  std::string web_root;         // static UI files; "" = none
  // GET /api/v1/model: the model the jobs serve, with its example prompts
  // (cli/bundled_model.h DescribeModel); null = 404.
  nlohmann::json model_info;
  // Leader election (cluster mode with several replicas): what this replica
  // knows of it, {"identity", "leader", "isLeader", "lease"}; null = no
  // election. A replica that is not the leader runs no scale loops: /readyz
  // answers 200 for it (a standby is ready to serve the API and UI), and
  // GET /api/v1/scaledjobs carries it as "leaderElection".
  std::function<nlohmann::json()> leader_election;
  size_t max_body_bytes = 64 * 1024;
  int sse_keepalive_ms =
      15000;  // /api/v1/events ": keep-alive" period (tests shorten)
};

// Auth (docs/api.md "Authentication"): true when the request may proceed;
// otherwise the 401 reply is already written. `write` for POST/PUT/DELETE.
bool Authorize(const ApiContext& ctx, const httplib::Request& req,
               httplib::Response& res, bool write);

void JsonReply(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": message, "field": field (omitted when empty)}.
void ErrorReply(httplib::Response& res, int status, const std::string& message,
                const std::string& field = "");
// 400/401/403/404/409/503/500 for a Status code (PermissionDenied -> 403).
int HttpStatusFor(const absl::Status& s);

// Route registration, one per resource file.
void RegisterCoreRoutes(httplib::Server& s, ApiContext& ctx);  // routes_core.cc
void RegisterRequestRoutes(httplib::Server& s,
                           ApiContext& ctx);  // routes_requests.cc
// Cancel and delete (called by RegisterRequestRoutes).
void RegisterRequestControlRoutes(
    httplib::Server& s,
    ApiContext& ctx);  // routes_request_control.cc
void RegisterQueueRoutes(httplib::Server& s,
                         ApiContext& ctx);  // routes_queue.cc
void RegisterGalleryRoutes(httplib::Server& s,
                           ApiContext& ctx);  // routes_gallery.cc
void RegisterDeadLetterRoutes(httplib::Server& s,
                              ApiContext& ctx);  // routes_dead_letters.cc
void RegisterEventRoutes(httplib::Server& s,
                         ApiContext& ctx);  // routes_events.cc
void RegisterStaticRoutes(httplib::Server& s,
                          ApiContext& ctx);  // routes_static.cc

}  // namespace ebb::http

#endif  // EBB_HTTP_API_CONTEXT_H_
