// SPDX-License-Identifier: Apache-2.0
// The embedded queue's worker API (docs/api.md "Embedded queue"): publish,
// long-poll take, get, ack, nack, extend, depth and browse, over
// ctx.embedded_queue. 503 when ebb runs without the embedded queue.
#include <httplib.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json_limits.h"
#include "http/api_context.h"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/http/queue_wire.h"

namespace ebb::http {
namespace {

using queue::embedded::EmbeddedQueue;
namespace wire = queue::wire;

// One long poll. httplib's Server::stop() waits for running handlers and
// offers no "stopping" signal to them, so this cap bounds how long a stop
// waits for idle workers' polls; HttpMessageQueue re-polls for longer waits.
constexpr int64_t kMaxTakeWaitMs = 10'000;
constexpr int64_t kDefaultLeaseMs = 60'000;
constexpr int64_t kMaxLeaseMs = 24 * 3600 * 1000;

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(wire::Dump(body), "application/json");
}

void StatusReply(httplib::Response& res, const absl::Status& s) {
  ErrorReply(res, HttpStatusFor(s), std::string(s.message()));
}

// The embedded queue, or nullptr after writing the 401/503 reply.
EmbeddedQueue* Queue(const ApiContext& ctx, const httplib::Request& req,
                     httplib::Response& res, bool write) {
  if (!Authorize(ctx, req, res, write)) return nullptr;
  if (ctx.embedded_queue == nullptr) {
    ErrorReply(res, 503,
               "this ebb does not run the embedded queue (its ScaledJobs use "
               "an external broker)");
    return nullptr;
  }
  return ctx.embedded_queue;
}

// The JSON object body, or nullopt after writing the 400 reply.
std::optional<nlohmann::json> Body(const httplib::Request& req,
                                   httplib::Response& res) {
  if (!JsonNestingWithin(req.body)) {  // the serializer would recurse
    ErrorReply(res, 400,
               absl::StrCat("body: nested more than ", kMaxJsonNesting,
                            " levels deep"));
    return std::nullopt;
  }
  nlohmann::json j = req.body.empty()
                         ? nlohmann::json::object()
                         : nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ErrorReply(res, 400, "body: not a JSON object");
    return std::nullopt;
  }
  return j;
}

// A millisecond field clamped to [lo, hi]; `def` when absent.
std::optional<int64_t> Millis(const nlohmann::json& j, const char* key,
                              int64_t def, int64_t lo, int64_t hi,
                              httplib::Response& res) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::clamp(def, lo, hi);
  if (!it->is_number_integer()) {
    ErrorReply(res, 400, absl::StrCat(key, ": not an integer"), key);
    return std::nullopt;
  }
  return std::clamp(it->get<int64_t>(), lo, hi);
}

std::optional<uint64_t> Tag(const nlohmann::json& j, httplib::Response& res) {
  const uint64_t tag = wire::TagFromJson(j);
  if (tag == 0) {
    ErrorReply(res, 400, "tag: missing or not a delivery tag", "tag");
    return std::nullopt;
  }
  return tag;
}

void Publish(EmbeddedQueue& q, const std::string& name,
             const httplib::Request& req, httplib::Response& res) {
  auto j = Body(req, res);
  if (!j) return;
  std::optional<std::string> body = wire::GetBody(*j);
  if (!body.has_value()) {
    return ErrorReply(res, 400, "body: missing (send \"body\" or \"body_b64\")",
                      "body");
  }
  queue::OutgoingMessage msg;
  msg.body = std::move(*body);
  if (j->contains("message_id") && (*j)["message_id"].is_string()) {
    msg.message_id = (*j)["message_id"].get<std::string>();
  }
  if (j->contains("headers"))
    msg.headers = wire::HeadersFromJson((*j)["headers"]);
  auto delay_ms = Millis(*j, "delay_ms", 0, 0, kMaxLeaseMs, res);
  if (!delay_ms) return;
  msg.delay = absl::Milliseconds(*delay_ms);
  if (absl::Status s = q.Publish(name, msg); !s.ok())
    return StatusReply(res, s);
  Reply(res, 201, {{"id", queue::MessageRequestId(msg.message_id, msg.body)}});
}

void Take(EmbeddedQueue& q, const std::string& name,
          const httplib::Request& req, httplib::Response& res) {
  auto j = Body(req, res);
  if (!j) return;
  auto wait_ms = Millis(*j, "timeout_ms", 10'000, 0, kMaxTakeWaitMs, res);
  if (!wait_ms) return;
  auto lease_ms =
      Millis(*j, "lease_ms", kDefaultLeaseMs, 1000, kMaxLeaseMs, res);
  if (!lease_ms) return;
  auto got =
      q.Take(name, absl::Milliseconds(*wait_ms), absl::Milliseconds(*lease_ms));
  if (!got.ok()) return StatusReply(res, got.status());
  if (got->has_value()) return Reply(res, 200, wire::DeliveryToJson(**got));
  res.status = 204;
}

void Get(EmbeddedQueue& q, const std::string& name, const httplib::Request& req,
         httplib::Response& res) {
  auto j = Body(req, res);
  if (!j) return;
  auto lease_ms =
      Millis(*j, "lease_ms", kDefaultLeaseMs, 1000, kMaxLeaseMs, res);
  if (!lease_ms) return;
  // Get does not declare the queue (basic.get): a missing one is 404.
  if (auto d = q.Depth(name); !d.ok()) return StatusReply(res, d.status());
  auto got = q.Take(name, absl::ZeroDuration(), absl::Milliseconds(*lease_ms));
  if (!got.ok()) return StatusReply(res, got.status());
  if (!got->has_value()) {
    res.status = 204;
    return;
  }
  Reply(res, 200, wire::DeliveryToJson(**got));
}

// ack, nack and extend: by tag.
void Settle(EmbeddedQueue& q, const std::string& name, const std::string& op,
            const httplib::Request& req, httplib::Response& res) {
  auto j = Body(req, res);
  if (!j) return;
  auto tag = Tag(*j, res);
  if (!tag) return;
  queue::Delivery d;
  d.delivery_tag = *tag;
  d.queue = name;
  absl::Status s;
  if (op == "ack") {
    s = q.Ack(d);
  } else if (op == "nack") {
    auto requeue = j->find("requeue");
    if (requeue != j->end() && !requeue->is_boolean()) {
      return ErrorReply(res, 400, "requeue: not a boolean", "requeue");
    }
    s = q.Nack(d, requeue == j->end() || requeue->get<bool>());
  } else {
    auto lease_ms =
        Millis(*j, "lease_ms", kDefaultLeaseMs, 1000, kMaxLeaseMs, res);
    if (!lease_ms) return;
    s = q.Extend(*tag, absl::Milliseconds(*lease_ms));
  }
  if (!s.ok()) return StatusReply(res, s);
  Reply(res, 200, nlohmann::json::object());
}

}  // namespace

void RegisterQueueRoutes(httplib::Server& s, ApiContext& ctx) {
  const std::string q = R"(/api/v1/queues/([^/]+))";
  s.Post(q + "/messages",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           if (auto* eq = Queue(ctx, req, res, true)) {
             Publish(*eq, req.matches[1], req, res);
           }
         });
  s.Get(q + "/messages", [&ctx](const httplib::Request& req,
                                httplib::Response& res) {
    auto* eq = Queue(ctx, req, res, false);
    if (eq == nullptr) return;
    int max = 100;
    if (req.has_param("max")) {
      max = std::clamp(std::atoi(req.get_param_value("max").c_str()), 0, 1000);
    }
    auto got = eq->Browse(req.matches[1], max);
    if (!got.ok()) return StatusReply(res, got.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : *got) out.push_back(wire::DeliveryToJson(d));
    Reply(res, 200, {{"messages", out}});
  });
  s.Post(q + "/take",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           if (auto* eq = Queue(ctx, req, res, true)) {
             Take(*eq, req.matches[1], req, res);
           }
         });
  s.Post(q + "/get",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           if (auto* eq = Queue(ctx, req, res, true))
             Get(*eq, req.matches[1], req, res);
         });
  for (const char* op : {"ack", "nack", "extend"}) {
    s.Post(absl::StrCat(q, "/", op),
           [&ctx, op = std::string(op)](const httplib::Request& req,
                                        httplib::Response& res) {
             if (auto* eq = Queue(ctx, req, res, true)) {
               Settle(*eq, req.matches[1], op, req, res);
             }
           });
  }
  s.Get(q, [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto* eq = Queue(ctx, req, res, false);
    if (eq == nullptr) return;
    const std::string name = req.matches[1];
    auto depth = eq->Depth(name);
    if (!depth.ok()) return StatusReply(res, depth.status());
    auto depths = eq->Depths(name);
    if (!depths.ok()) return StatusReply(res, depths.status());
    Reply(res, 200,
          {{"queue", name},
           {"ready", depths->ready},
           {"leased", depths->leased},
           {"dead", depths->dead},
           {"consumers", depth->consumers}});
  });
}

}  // namespace ebb::http
