// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/dead-letters, POST /api/v1/dead-letters/{id}/replay,
// POST /api/v1/dead-letters/{id}/discard and POST /api/v1/dead-letters/purge
// (docs/api.md "Dead letters"), on `<work_queue>.dead` through a connection
// from ctx.open_queue (one per request: a MessageQueue is used from one thread
// at a time).
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "http/api_context.h"
#include "queue/dead_letters.h"

namespace ebb::http {
namespace {

constexpr int kDefaultList = 100;
constexpr int kMaxList = 1000;

// A connection to the work queue's broker, or nullptr with the 503 written.
std::unique_ptr<queue::MessageQueue> Open(const ApiContext& ctx,
                                          httplib::Response& res) {
  if (!ctx.open_queue) {
    ErrorReply(
        res, 503,
        "dead letters are not available: no queue connection configured");
    return nullptr;
  }
  auto mq = ctx.open_queue();
  if (!mq.ok() || *mq == nullptr) {
    ErrorReply(
        res, 503,
        mq.ok() ? "queue unavailable"
                : absl::StrCat("queue unavailable: ", mq.status().ToString()));
    return nullptr;
  }
  return std::move(*mq);
}

void List(const ApiContext& ctx, const httplib::Request& req,
          httplib::Response& res) {
  if (!Authorize(ctx, req, res, false)) return;
  int limit = kDefaultList;
  if (req.has_param("limit") &&
      !absl::SimpleAtoi(req.get_param_value("limit"), &limit)) {
    return ErrorReply(res, 400, "limit: not a number", "limit");
  }
  limit = std::clamp(limit, 1, kMaxList);
  auto mq = Open(ctx, res);
  if (mq == nullptr) return;
  auto entries = queue::ListDeadLetters(
      *mq, queue::DeadLetterQueueName(ctx.work_queue), limit);
  if (!entries.ok()) {
    return ErrorReply(res, 503,
                      absl::StrCat("cannot list dead letters: ",
                                   entries.status().ToString()));
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : *entries) {
    out.push_back({{"id", e.id},
                   {"reason", e.reason},
                   {"queue", e.original_queue},
                   {"attempt", e.attempt},
                   {"body", e.body}});
  }
  // Bodies may hold any bytes: replace invalid UTF-8 rather than throw.
  res.status = 200;
  res.set_content(nlohmann::json{{"deadLetters", out}}.dump(
                      -1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

// Replays or discards the one dead letter named in the path: 200 with
// {`field`: n}, 404 when there is none with that id, 503 when the queue fails.
void OnOne(const ApiContext& ctx, const httplib::Request& req,
           httplib::Response& res, const char* verb, const char* field,
           absl::StatusOr<int> (*op)(queue::MessageQueue&, const std::string&,
                                     const std::vector<std::string>&)) {
  if (!Authorize(ctx, req, res, true)) return;
  const std::string id = req.matches[1];
  if (id.empty()) return ErrorReply(res, 400, "id: empty", "id");
  auto mq = Open(ctx, res);
  if (mq == nullptr) return;
  auto n = op(*mq, queue::DeadLetterQueueName(ctx.work_queue), {id});
  if (!n.ok()) {
    return ErrorReply(res, 503,
                      absl::StrCat("cannot ", verb, " dead letter ", id, ": ",
                                   n.status().ToString()));
  }
  if (*n == 0) {
    return ErrorReply(res, 404,
                      absl::StrCat("no dead letter with id \"", id, "\""));
  }
  JsonReply(res, 200, {{field, *n}});
}

void Replay(const ApiContext& ctx, const httplib::Request& req,
            httplib::Response& res) {
  OnOne(ctx, req, res, "replay", "replayed", &queue::ReplayDeadLetters);
}

void Discard(const ApiContext& ctx, const httplib::Request& req,
             httplib::Response& res) {
  OnOne(ctx, req, res, "discard", "discarded", &queue::DiscardDeadLetters);
}

void Purge(const ApiContext& ctx, const httplib::Request& req,
           httplib::Response& res) {
  if (!Authorize(ctx, req, res, true)) return;
  auto mq = Open(ctx, res);
  if (mq == nullptr) return;
  auto n = queue::DiscardDeadLetters(
      *mq, queue::DeadLetterQueueName(ctx.work_queue), {});
  if (!n.ok()) {
    return ErrorReply(
        res, 503,
        absl::StrCat("cannot purge dead letters: ", n.status().ToString()));
  }
  JsonReply(res, 200, {{"discarded", *n}});
}

}  // namespace

void RegisterDeadLetterRoutes(httplib::Server& s, ApiContext& ctx) {
  s.Get("/api/v1/dead-letters",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          List(ctx, req, res);
        });
  s.Post(R"(/api/v1/dead-letters/([^/]+)/replay)",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           Replay(ctx, req, res);
         });
  s.Post(R"(/api/v1/dead-letters/([^/]+)/discard)",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           Discard(ctx, req, res);
         });
  s.Post("/api/v1/dead-letters/purge",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           Purge(ctx, req, res);
         });
}

}  // namespace ebb::http
