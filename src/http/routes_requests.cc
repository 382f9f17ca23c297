// SPDX-License-Identifier: Apache-2.0
// Per-request status (docs/api.md "Requests"): GET /api/v1/requests/{id} and
// GET /api/v1/requests?status=&q=&limit=&before=, everyone's requests. Each
// request is merged (http/request_view.h) from the embedded queue's row for
// the id (single-node mode), the result record <id>.json and the control
// objects beside it (progress, cancel marker, tombstone). Without the embedded
// queue a request is known once a worker reported progress or stored its
// record, or once it was cancelled or deleted.
#include <httplib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "http/api_context.h"
#include "http/request_view.h"
#include "http/wait_estimate.h"
#include "queue/embedded/embedded_queue.h"

namespace ebb::http {
namespace {

using queue::embedded::RequestInfo;

constexpr const char* kStatuses[] = {"queued", "running",   "done",
                                     "failed", "cancelled", "deleted"};

// Like JsonReply, but invalid UTF-8 (in an error text) is replaced, not thrown.
void Reply(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json");
}

void GetOne(const ApiContext& ctx, WaitEstimator& estimator,
            const std::string& id, httplib::Response& res) {
  if (absl::Status valid = ValidateRequestId(id); !valid.ok()) {
    return ErrorReply(res, 400, std::string(valid.message()), "id");
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
  std::optional<nlohmann::json> record = ReadRecord(ctx.store, id);
  if (!record && ctx.store != nullptr) {
    // A record that exists but is refused (a link out of the store) is 403.
    if (auto got = ctx.store->Get(id + ".json");
        absl::IsPermissionDenied(got.status())) {
      return ErrorReply(res, 403, std::string(got.status().message()));
    }
  }
  const RequestMarkers markers = ReadMarkers(ctx.store, id, record.has_value());
  if (!row && !record && !markers.deleted && !markers.cancel &&
      !markers.progress && !markers.submitted) {
    return ErrorReply(res, 404,
                      absl::StrCat("no request with id \"", id, "\""));
  }
  nlohmann::json out = RequestJson(id, row, record, markers);
  if (out["status"] == "queued") {
    std::optional<int64_t> position;
    if (ctx.embedded_queue != nullptr) {
      auto positions = estimator.Positions();
      if (auto it = positions.find(id); it != positions.end()) {
        position = it->second;
      }
    }
    out["estimate"] = estimator.ForQueued(position);
  }
  Reply(res, out);
}

struct Candidate {
  std::string id;
  absl::Time at;  // created (queue row), else the newest object's time
  std::optional<RequestInfo> row;
};

// The id of a record or control object key; "" for other keys.
std::string IdOfKey(const std::string& key) {
  if (absl::StrContains(key, "/")) return "";
  for (const char* suffix :
       {".json", worker::kProgressSuffix, worker::kCancelSuffix,
        worker::kTombstoneSuffix, worker::kSubmittedSuffix}) {
    if (absl::EndsWith(key, suffix) && key.size() > strlen(suffix)) {
      return key.substr(0, key.size() - strlen(suffix));
    }
  }
  return "";
}

bool Matches(const nlohmann::json& r, const std::string& q_lower) {
  if (q_lower.empty()) return true;
  for (const char* k : {"prompt", "id"}) {
    if (r.contains(k) && r[k].is_string() &&
        absl::StrContains(absl::AsciiStrToLower(r[k].get<std::string>()),
                          q_lower)) {
      return true;
    }
  }
  return false;
}

void List(const ApiContext& ctx, WaitEstimator& estimator, RecordCache& records,
          const httplib::Request& req, httplib::Response& res) {
  std::set<std::string> statuses;
  if (req.has_param("status")) {
    for (absl::string_view s :
         absl::StrSplit(req.get_param_value("status"), ',')) {
      if (s.empty()) continue;
      if (std::find(std::begin(kStatuses), std::end(kStatuses), s) ==
          std::end(kStatuses)) {
        return ErrorReply(res, 400,
                          absl::StrCat("status: \"", s,
                                       "\" is not one of queued, running, "
                                       "done, failed, cancelled, deleted"),
                          "status");
      }
      statuses.insert(std::string(s));
    }
  }
  size_t limit = 50;
  if (req.has_param("limit")) {
    limit = std::strtoul(req.get_param_value("limit").c_str(), nullptr, 10);
    limit = std::clamp<size_t>(limit, 1, 500);
  }
  // The cursor "<ms>|<id>" of the last request of the previous page: the
  // order is (time in ms, id), both descending.
  std::optional<std::pair<int64_t, std::string>> before;
  if (req.has_param("before")) {
    const std::string c = req.get_param_value("before");
    const size_t bar = c.find('|');
    int64_t ms = 0;
    if (bar == std::string::npos || !absl::SimpleAtoi(c.substr(0, bar), &ms)) {
      return ErrorReply(res, 400,
                        "before: not a cursor (use the \"next\" of the last "
                        "page)",
                        "before");
    }
    before = std::make_pair(ms, c.substr(bar + 1));
  }
  const std::string q =
      absl::AsciiStrToLower(req.has_param("q") ? req.get_param_value("q") : "");

  std::map<std::string, Candidate> by_id;
  std::set<std::string> keys;
  std::map<std::string, absl::Time> record_times;  // id -> its record's
  if (ctx.store != nullptr) {
    auto listed = ctx.store->List("");
    if (!listed.ok()) return ErrorReply(res, 503, listed.status().ToString());
    for (const auto& o : *listed) {
      keys.insert(o.key);
      if (absl::EndsWith(o.key, ".json"))
        record_times[IdOfKey(o.key)] = o.modified;
      const std::string id = IdOfKey(o.key);
      if (id.empty()) continue;
      auto [it, fresh] = by_id.try_emplace(id, Candidate{id, o.modified, {}});
      if (!fresh) it->second.at = std::max(it->second.at, o.modified);
    }
  }
  if (ctx.embedded_queue != nullptr) {
    auto rows = ctx.embedded_queue->Requests(std::nullopt, 2000);
    if (!rows.ok()) {
      return ErrorReply(res, HttpStatusFor(rows.status()),
                        std::string(rows.status().message()));
    }
    for (RequestInfo& row : *rows) {
      Candidate& c = by_id[row.id];
      c.id = row.id;
      c.at = row.created;
      c.row = std::move(row);
    }
  }
  std::vector<Candidate*> order;
  for (auto& [id, c] : by_id) {
    if (!before || std::make_pair(absl::ToUnixMillis(c.at), c.id) < *before) {
      order.push_back(&c);
    }
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::make_pair(absl::ToUnixMillis(a->at), a->id) >
           std::make_pair(absl::ToUnixMillis(b->at), b->id);
  });

  std::map<std::string, int64_t> positions;
  bool positions_read = false;
  nlohmann::json out = nlohmann::json::array();
  nlohmann::json next = nullptr;
  for (const Candidate* c : order) {
    if (out.size() >= limit) {
      next = absl::StrCat(out.back()["_at"].get<int64_t>(), "|",
                          out.back()["id"].get<std::string>());
      break;
    }
    std::optional<nlohmann::json> record;
    if (auto t = record_times.find(c->id); t != record_times.end()) {
      record = records.Get(ctx.store, c->id, t->second);
    }
    nlohmann::json r = RequestJson(c->id, c->row, record,
                                   MarkersFromKeys(ctx.store, keys, c->id));
    const std::string status = r["status"];
    if (statuses.empty() ? status == "deleted" : !statuses.count(status)) {
      continue;
    }
    if (!Matches(r, q)) continue;
    if (status == "queued") {
      if (!positions_read) positions = estimator.Positions();
      positions_read = true;
      auto it = positions.find(c->id);
      r["estimate"] = estimator.ForQueued(
          it == positions.end() ? std::nullopt
                                : std::optional<int64_t>(it->second));
    }
    r["_at"] = absl::ToUnixMillis(c->at);
    out.push_back(std::move(r));
  }
  for (auto& r : out) r.erase("_at");
  Reply(res, {{"requests", out}, {"next", next}});
}

}  // namespace

void RegisterRequestRoutes(httplib::Server& s, ApiContext& ctx) {
  auto estimator = std::make_shared<WaitEstimator>(ctx);
  auto records = std::make_shared<RecordCache>();
  s.Get(R"(/api/v1/requests/([^/]+))",
        [&ctx, estimator](const httplib::Request& req, httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          GetOne(ctx, *estimator, req.matches[1], res);
        });
  s.Get("/api/v1/requests",
        [&ctx, estimator, records](const httplib::Request& req,
                                   httplib::Response& res) {
          if (!Authorize(ctx, req, res, false)) return;
          List(ctx, *estimator, *records, req, res);
        });
  RegisterRequestControlRoutes(s, ctx);
}

}  // namespace ebb::http
