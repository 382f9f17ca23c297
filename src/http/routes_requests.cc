// SPDX-License-Identifier: Apache-2.0
// Per-request status (docs/api.md "Requests"): GET /api/v1/requests/{id} and
// GET /api/v1/requests?status=&limit=. The state comes from the embedded
// queue's row for the id, merged with the result record <id>.json from the
// object store (timings, images, error, attempt). Without the embedded queue
// only finished requests (those with a record) are known.
#include <httplib.h>

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json_limits.h"
#include "http/api_context.h"
#include "queue/embedded/embedded_queue.h"

namespace ebb::http {
namespace {

using queue::embedded::RequestInfo;
using queue::embedded::RequestState;

constexpr char kObjects[] = "/api/v1/objects/";

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Like JsonReply, but invalid UTF-8 (in an error text) is replaced, not thrown.
void Reply(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json");
}

nlohmann::json Field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nlohmann::json() : *it;
}

// The record <id>.json, or nullopt (absent, unreadable or not JSON).
std::optional<nlohmann::json> Record(const ApiContext& ctx,
                                     const std::string& id) {
  if (ctx.store == nullptr || id.empty()) return std::nullopt;
  auto data = ctx.store->Get(id + ".json");
  if (!data.ok() || !JsonNestingWithin(*data)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*data, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

// One request as in docs/api.md, from the queue row and/or the record.
nlohmann::json RequestJson(const std::string& id,
                           const std::optional<RequestInfo>& row,
                           const std::optional<nlohmann::json>& record) {
  const std::string record_status =
      record ? Field(*record, "status").is_string()
                   ? Field(*record, "status").get<std::string>()
                   : ""
             : "";
  std::string status = "done";
  if (row.has_value()) {
    status = queue::embedded::RequestStateName(row->state);
    // A request is finished exactly when its record exists (DESIGN.md
    // "Results"): the worker writes it before it acks, so "done" wins over a
    // row still leased. A "failed" record only wins once the row is finished
    // too: a replayed dead letter is queued again despite its old failed
    // record.
    if (record_status == "done") status = "done";
    if (row->state == RequestState::kDone && record_status == "failed") {
      status = "failed";
    }
  } else if (record_status == "failed") {
    status = "failed";
  }
  nlohmann::json task = nlohmann::json::object();
  if (row.has_value() && JsonNestingWithin(row->body)) {
    task = nlohmann::json::parse(row->body, nullptr, false);
    if (!task.is_object()) task = nlohmann::json::object();
  }
  nlohmann::json out = {{"id", id}, {"status", status}};
  nlohmann::json prompt = Field(task, "prompt");
  if (prompt.is_null() && record) prompt = Field(*record, "prompt");
  out["prompt"] = prompt;
  nlohmann::json count = Field(task, "count");
  if (count.is_null() && record) count = Field(*record, "number_of_images");
  if (count.is_null() && !task.empty()) count = 1;
  out["count"] = count;
  nlohmann::json attempt =
      record ? Field(*record, "attempt") : nlohmann::json();
  if (attempt.is_null() && row.has_value()) attempt = row->deliveries;
  out["attempt"] = attempt;
  nlohmann::json error = nullptr;
  if (status == "failed") {
    error = record ? Field(*record, "error") : nlohmann::json();
    if ((error.is_null() || error == "") && row.has_value() &&
        !row->error.empty()) {
      error = row->error;
    }
  }
  out["error"] = error;
  if (row.has_value()) {
    out["created_at"] = Iso(row->created);
    out["updated_at"] = Iso(row->updated);
  } else {
    out["created_at"] = Field(*record, "created_at");
    out["updated_at"] = Field(*record, "created_at");
  }
  nlohmann::json timings = nlohmann::json::object();
  for (const char* k :
       {"queue_wait_ms", "model_load_ms", "inference_ms", "upload_ms"}) {
    timings[k] = record ? Field(*record, k) : nlohmann::json();
  }
  out["timings"] = timings;
  nlohmann::json images = nlohmann::json::array();
  if (record && Field(*record, "images").is_array()) {
    for (const auto& key : (*record)["images"]) {
      if (key.is_string()) images.push_back(kObjects + key.get<std::string>());
    }
  }
  out["images"] = images;
  out["record"] = record ? nlohmann::json(absl::StrCat(kObjects, id, ".json"))
                         : nlohmann::json();
  return out;
}

void GetOne(const ApiContext& ctx, const std::string& id,
            httplib::Response& res) {
  // The id names the record <id>.json: it must be one plain key segment.
  if (absl::Status valid = storage::ValidateObjectKey(id + ".json");
      !valid.ok() || absl::StrContains(id, "/")) {
    return ErrorReply(res, 400,
                      "id: not a request id (no '/', '..' or control "
                      "characters)",
                      "id");
  }
  std::optional<RequestInfo> row;
  if (ctx.embedded_queue != nullptr) {
    auto info = ctx.embedded_queue->Request(id);
    if (info.ok()) {
      row = *info;
    } else if (!absl::IsNotFound(info.status())) {
      return ErrorReply(res, HttpStatusFor(info.status()),
                        std::string(info.status().message()));
    }
  }
  std::optional<nlohmann::json> record = Record(ctx, id);
  if (!record && ctx.store != nullptr) {
    // A record that exists but is refused (a link out of the store) is 403.
    if (auto got = ctx.store->Get(id + ".json");
        absl::IsPermissionDenied(got.status())) {
      return ErrorReply(res, 403, std::string(got.status().message()));
    }
  }
  if (!row && !record) {
    return ErrorReply(res, 404,
                      absl::StrCat("no request with id \"", id, "\""));
  }
  Reply(res, RequestJson(id, row, record));
}

// Without the embedded queue: the records in the store, newest first.
absl::StatusOr<nlohmann::json> ListFromStore(const ApiContext& ctx,
                                             const std::string& status,
                                             size_t limit) {
  nlohmann::json out = nlohmann::json::array();
  if (ctx.store == nullptr) return out;
  auto objects = ctx.store->List("");
  if (!objects.ok()) return objects.status();
  std::vector<storage::ObjectInfo> records;
  for (auto& o : *objects) {
    if (absl::EndsWith(o.key, ".json")) records.push_back(std::move(o));
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.modified > b.modified;
  });
  for (const auto& o : records) {
    if (out.size() >= limit) break;
    const std::string id = o.key.substr(0, o.key.size() - 5);
    std::optional<nlohmann::json> record = Record(ctx, id);
    if (!record) continue;
    nlohmann::json r = RequestJson(id, std::nullopt, record);
    if (status.empty() || r["status"] == status) out.push_back(std::move(r));
  }
  return out;
}

void List(const ApiContext& ctx, const httplib::Request& req,
          httplib::Response& res) {
  const std::string status =
      req.has_param("status") ? req.get_param_value("status") : "";
  std::optional<RequestState> state;
  if (status == "queued") {
    state = RequestState::kQueued;
  } else if (status == "running") {
    state = RequestState::kRunning;
  } else if (status != "" && status != "done" && status != "failed") {
    return ErrorReply(res, 400,
                      absl::StrCat("status: \"", status,
                                   "\" is not one of queued, running, done, "
                                   "failed"),
                      "status");
  }
  size_t limit = 50;
  if (req.has_param("limit")) {
    limit = std::strtoul(req.get_param_value("limit").c_str(), nullptr, 10);
    limit = std::clamp<size_t>(limit, 1, 500);
  }
  if (ctx.embedded_queue == nullptr) {
    auto out = ListFromStore(ctx, status, limit);
    if (!out.ok()) return ErrorReply(res, 503, out.status().ToString());
    return Reply(res, {{"requests", *out}});
  }
  // done/failed depend on the record (an acked request may have failed), so
  // those are filtered after the merge, from a larger window of rows.
  const bool finished = status == "done" || status == "failed";
  auto rows = ctx.embedded_queue->Requests(
      state,
      static_cast<int>(finished ? std::min<size_t>(limit * 4, 2000) : limit));
  if (!rows.ok()) {
    return ErrorReply(res, HttpStatusFor(rows.status()),
                      std::string(rows.status().message()));
  }
  nlohmann::json out = nlohmann::json::array();
  for (const RequestInfo& row : *rows) {
    if (out.size() >= limit) break;
    if (finished && row.state != RequestState::kDone &&
        row.state != RequestState::kFailed) {
      continue;
    }
    const bool needs_record =
        row.state == RequestState::kDone || row.state == RequestState::kFailed;
    nlohmann::json r = RequestJson(
        row.id, row, needs_record ? Record(ctx, row.id) : std::nullopt);
    if (status.empty() || r["status"] == status) out.push_back(std::move(r));
  }
  Reply(res, {{"requests", out}});
}

}  // namespace

void RegisterRequestRoutes(httplib::Server& s, ApiContext& ctx) {
  s.Get(R"(/api/v1/requests/([^/]+))",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          GetOne(ctx, req.matches[1], res);
        });
  s.Get("/api/v1/requests",
        [&ctx](const httplib::Request& req, httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          List(ctx, req, res);
        });
}

}  // namespace ebb::http
