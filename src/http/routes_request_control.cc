// SPDX-License-Identifier: Apache-2.0
// Lifecycle controls (docs/api.md "Cancel and delete"):
//   POST /api/v1/requests/{id}/cancel -> 200 {"id", "status": "cancelled"};
//     409 when it already finished (done, failed) or was deleted.
//   DELETE /api/v1/requests/{id} -> 200 {"id", "status": "deleted",
//     "removed": [KEY...]}: the tombstone <id>.deleted first, then the images,
//     the record and the control objects.
// Both go through the object store (worker/control.h), which every mode
// shares: the worker that holds or takes the message sees the marker. Both
// publish live events (`request` cancelled, `deleted`). In RabbitMQ mode a
// queued request is unknown here (only the broker holds it): cancel and
// delete accept any well-formed id there (one published by another producer
// is known only once a worker reports it; one published through ebb up has
// its <id>.submitted object), since the marker is what the worker will look
// for.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "http/api_context.h"
#include "http/events.h"
#include "http/request_view.h"
#include "queue/embedded/embedded_queue.h"
#include "worker/control.h"

namespace ebb::http {
namespace {

using queue::embedded::RequestInfo;

// The request's current JSON, or nullopt when nothing is known of it; the
// error reply is written when the lookup itself failed.
struct Known {
  bool ok = true;  // false: reply written
  std::optional<nlohmann::json> request;
};

Known Lookup(const ApiContext& ctx, const std::string& id,
             httplib::Response& res) {
  Known k;
  if (absl::Status valid = ValidateRequestId(id); !valid.ok()) {
    ErrorReply(res, 400, std::string(valid.message()), "id");
    k.ok = false;
    return k;
  }
  if (ctx.store == nullptr) {
    ErrorReply(res, 503,
               "no object store is configured: cancel and delete record "
               "their markers there");
    k.ok = false;
    return k;
  }
  std::optional<RequestInfo> row;
  if (ctx.embedded_queue != nullptr) {
    auto info = ctx.embedded_queue->Request(id);
    if (info.ok()) {
      row = *info;
    } else if (!absl::IsNotFound(info.status())) {
      ErrorReply(res, HttpStatusFor(info.status()),
                 std::string(info.status().message()));
      k.ok = false;
      return k;
    }
  }
  std::optional<nlohmann::json> record = ReadRecord(ctx.store, id);
  RequestMarkers markers = ReadMarkers(ctx.store, id, record.has_value());
  if (row || record || markers.deleted || markers.cancel || markers.progress ||
      markers.submitted) {
    k.request = RequestJson(id, row, record, markers);
  }
  return k;
}

void Cancel(ApiContext& ctx, const std::string& id, httplib::Response& res) {
  Known k = Lookup(ctx, id, res);
  if (!k.ok) return;
  if (!k.request && ctx.embedded_queue != nullptr) {
    return ErrorReply(res, 404,
                      absl::StrCat("no request with id \"", id, "\""));
  }
  const std::string status =
      k.request ? (*k.request)["status"].get<std::string>() : "queued";
  if (status == "done" || status == "failed" || status == "deleted") {
    return ErrorReply(res, 409,
                      absl::StrCat("request ", id, " is ", status,
                                   ": only a queued or running request can be "
                                   "cancelled"));
  }
  if (status != "cancelled") {
    absl::Status put =
        ctx.store->Put(worker::CancelKey(id),
                       worker::CancelJson(id, absl::Now()), "application/json");
    if (!put.ok()) {
      return ErrorReply(
          res, 503, absl::StrCat("cannot record the cancel: ", put.message()));
    }
    EBB_LOG_INFO("api: request {} cancelled (was {})", id, status);
  }
  if (ctx.events != nullptr) {
    ctx.events->Publish("request", {{"id", id}, {"status", "cancelled"}});
  }
  JsonReply(res, 200, {{"id", id}, {"status", "cancelled"}});
}

void Delete(ApiContext& ctx, const std::string& id, httplib::Response& res) {
  Known k = Lookup(ctx, id, res);
  if (!k.ok) return;
  if (!k.request && ctx.embedded_queue != nullptr) {
    return ErrorReply(res, 404,
                      absl::StrCat("no request with id \"", id, "\""));
  }
  // The tombstone first: a worker storing this request's record checks it
  // after its write and removes what it wrote, so whichever runs last, no
  // result survives.
  absl::Status put = ctx.store->Put(worker::TombstoneKey(id),
                                    worker::TombstoneJson(id, absl::Now()),
                                    "application/json");
  if (!put.ok()) {
    return ErrorReply(
        res, 503, absl::StrCat("cannot record the deletion: ", put.message()));
  }
  std::vector<std::string> doomed = {id + ".json", worker::ProgressKey(id),
                                     worker::CancelKey(id),
                                     worker::SubmittedKey(id)};
  auto listed = ctx.store->List(id + "-");
  if (!listed.ok()) {
    return ErrorReply(res, 503,
                      absl::StrCat("cannot list the images to delete: ",
                                   listed.status().message()));
  }
  for (const auto& o : *listed) {
    if (worker::IsImageKeyOf(o.key, id)) doomed.push_back(o.key);
  }
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& key : doomed) {
    const bool existed = ctx.store->Head(key).ok();
    absl::Status del = ctx.store->Delete(key);
    if (!del.ok()) {
      return ErrorReply(res, 503,
                        absl::StrCat("cannot delete ", key, ": ", del.message(),
                                     " (the tombstone is "
                                     "stored; retry the DELETE)"));
    }
    if (existed) removed.push_back(key);
  }
  EBB_LOG_INFO("api: request {} deleted ({} object(s) removed)", id,
               removed.size());
  if (ctx.events != nullptr) ctx.events->Publish("deleted", {{"id", id}});
  JsonReply(res, 200,
            {{"id", id}, {"status", "deleted"}, {"removed", removed}});
}

}  // namespace

void RegisterRequestControlRoutes(httplib::Server& s, ApiContext& ctx) {
  s.Post(R"(/api/v1/requests/([^/]+)/cancel)",
         [&ctx](const httplib::Request& req, httplib::Response& res) {
           if (!Authorize(ctx, req, res, true)) return;
           Cancel(ctx, req.matches[1], res);
         });
  s.Delete(R"(/api/v1/requests/([^/]+))",
           [&ctx](const httplib::Request& req, httplib::Response& res) {
             if (!Authorize(ctx, req, res, true)) return;
             Delete(ctx, req.matches[1], res);
           });
}

}  // namespace ebb::http
