// SPDX-License-Identifier: Apache-2.0
//
// File: http/request_view.h
//
// One request as docs/api.md "Requests" shows it, merged from what each mode
// has: the embedded queue's row (single-node mode), the result record
// `<id>.json` and the control objects beside it (worker/control.h: progress,
// cancel marker, tombstone). Shared by routes_requests.cc (GET) and
// routes_request_control.cc (cancel, delete).
//
// Status precedence: a tombstone makes it `deleted`; a record "cancelled", or
// a cancel marker on a request that has not finished, `cancelled`; then the
// record's done/failed and the queue row's queued/running as before. Without
// a queue row (RabbitMQ mode), a progress object means `running`, and the
// `<id>.submitted` object that `ebb up` wrote when it published the request
// (prompt, seed, ...) makes it known as `queued` before any worker reports.
//
// Thread-safe (reads only).
#ifndef EBB_HTTP_REQUEST_VIEW_H_
#define EBB_HTTP_REQUEST_VIEW_H_

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "http/api_context.h"
#include "queue/embedded/embedded_queue.h"
#include "worker/control.h"

namespace ebb::http {

inline constexpr char kObjectsPath[] = "/api/v1/objects/";

struct RequestMarkers {
  bool deleted = false;                      // <id>.deleted
  bool cancel = false;                       // <id>.cancel
  std::optional<worker::Progress> progress;  // <id>.progress
  // <id>.submitted (RabbitMQ mode): the task message as published; read only
  // while the request has no record.
  std::optional<nlohmann::json> submitted;
};

// Reads the markers of `id` from the store (nothing when `store` is null);
// the submitted object only when `has_record` is false (the record
// supersedes it).
RequestMarkers ReadMarkers(storage::ObjectStore* store, const std::string& id,
                           bool has_record);
// The same, knowing the store's keys from one listing: only an existing
// progress object, and a submitted object without a record, are read.
RequestMarkers MarkersFromKeys(storage::ObjectStore* store,
                               const std::set<std::string>& keys,
                               const std::string& id);

// The record <id>.json, or nullopt (absent, unreadable or not JSON).
std::optional<nlohmann::json> ReadRecord(storage::ObjectStore* store,
                                         const std::string& id);

// The request's JSON (docs/api.md), without "estimate" (the caller adds it
// for a queued one). `row` and `record` may both be absent only when a marker
// is present.
nlohmann::json RequestJson(
    const std::string& id,
    const std::optional<queue::embedded::RequestInfo>& row,
    const std::optional<nlohmann::json>& record, const RequestMarkers& markers);

// The parsed records of a listing, by key and modification time, so that
// listing requests again reads only records that changed (on S3 a GET each).
// A record rewritten (a replayed dead letter's new result) has a new time
// and is read again; at most `capacity` entries are kept (the oldest looked
// up go first). Thread-safe.
class RecordCache {
 public:
  explicit RecordCache(size_t capacity = 4096) : capacity_(capacity) {}
  // ReadRecord(store, id) unless the cache holds `id` at `modified`.
  std::optional<nlohmann::json> Get(storage::ObjectStore* store,
                                    const std::string& id, absl::Time modified);
  size_t size() const;

 private:
  struct Entry {
    absl::Time modified;
    std::optional<nlohmann::json> record;
    uint64_t used = 0;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
  uint64_t clock_ = 0;                    // guarded by mu_
};

// OK when `id` can name a request (one plain key segment: no '/', no '..',
// no control characters); InvalidArgument naming the field "id" otherwise.
absl::Status ValidateRequestId(const std::string& id);

}  // namespace ebb::http

#endif  // EBB_HTTP_REQUEST_VIEW_H_
