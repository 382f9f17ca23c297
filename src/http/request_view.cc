// SPDX-License-Identifier: Apache-2.0
#include "http/request_view.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json_limits.h"

namespace ebb::http {
namespace {

using queue::embedded::RequestInfo;
using queue::embedded::RequestState;

nlohmann::json Field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nlohmann::json() : *it;
}

std::string StatusOf(const std::optional<RequestInfo>& row,
                     const std::optional<nlohmann::json>& record,
                     const RequestMarkers& m) {
  if (m.deleted) return "deleted";
  const nlohmann::json rs = record ? Field(*record, "status") : nullptr;
  const std::string record_status = rs.is_string() ? rs.get<std::string>() : "";
  if (record_status == "cancelled") return "cancelled";
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
  } else if (!record) {
    status = m.progress ? "running" : m.cancel ? "cancelled" : "queued";
  }
  // A cancel recorded before the request finished: whichever worker holds or
  // takes it drops it (and records it cancelled).
  if (m.cancel && status != "done" && status != "failed") return "cancelled";
  return status;
}

std::optional<nlohmann::json> ReadSubmitted(storage::ObjectStore* store,
                                            const std::string& id) {
  auto data = store->Get(worker::SubmittedKey(id));
  if (!data.ok() || !JsonNestingWithin(*data)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*data, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

RequestMarkers ReadMarkers(storage::ObjectStore* store, const std::string& id,
                           bool has_record) {
  RequestMarkers m;
  if (store == nullptr) return m;
  m.deleted = store->Head(worker::TombstoneKey(id)).ok();
  m.cancel = store->Head(worker::CancelKey(id)).ok();
  if (auto p = store->Get(worker::ProgressKey(id)); p.ok()) {
    m.progress = worker::ParseProgress(*p);
  }
  if (!has_record) m.submitted = ReadSubmitted(store, id);
  return m;
}

RequestMarkers MarkersFromKeys(storage::ObjectStore* store,
                               const std::set<std::string>& keys,
                               const std::string& id) {
  RequestMarkers m;
  if (store == nullptr) return m;
  m.deleted = keys.count(worker::TombstoneKey(id)) > 0;
  m.cancel = keys.count(worker::CancelKey(id)) > 0;
  if (keys.count(worker::ProgressKey(id)) > 0) {
    if (auto p = store->Get(worker::ProgressKey(id)); p.ok()) {
      m.progress = worker::ParseProgress(*p);
    }
  }
  if (keys.count(worker::SubmittedKey(id)) > 0 &&
      keys.count(id + ".json") == 0) {
    m.submitted = ReadSubmitted(store, id);
  }
  return m;
}

std::optional<nlohmann::json> ReadRecord(storage::ObjectStore* store,
                                         const std::string& id) {
  if (store == nullptr || id.empty()) return std::nullopt;
  auto data = store->Get(id + ".json");
  if (!data.ok() || !JsonNestingWithin(*data)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*data, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::optional<nlohmann::json> RecordCache::Get(storage::ObjectStore* store,
                                               const std::string& id,
                                               absl::Time modified) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.modified == modified) {
      it->second.used = ++clock_;
      return it->second.record;
    }
  }
  std::optional<nlohmann::json> record = ReadRecord(store, id);
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= capacity_ && entries_.count(id) == 0) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.used < oldest->second.used) oldest = it;
    }
    entries_.erase(oldest);
  }
  entries_[id] = Entry{modified, record, ++clock_};
  return record;
}

size_t RecordCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

nlohmann::json RequestJson(const std::string& id,
                           const std::optional<RequestInfo>& row,
                           const std::optional<nlohmann::json>& record,
                           const RequestMarkers& markers) {
  const std::string status = StatusOf(row, record, markers);
  nlohmann::json task = nlohmann::json::object();
  if (row.has_value() && JsonNestingWithin(row->body)) {
    task = nlohmann::json::parse(row->body, nullptr, false);
    if (!task.is_object()) task = nlohmann::json::object();
  } else if (markers.submitted) {
    task = *markers.submitted;
  }
  nlohmann::json out = {{"id", id}, {"status", status}};
  nlohmann::json prompt = Field(task, "prompt");
  if (prompt.is_null() && record) prompt = Field(*record, "prompt");
  out["prompt"] = prompt;
  nlohmann::json seed = Field(task, "seed");
  if (record && !Field(*record, "seed").is_null()) seed = (*record)["seed"];
  out["seed"] = seed;
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
    out["created_at"] = worker::IsoTime(row->created);
    out["updated_at"] = worker::IsoTime(row->updated);
  } else if (record) {
    out["created_at"] = Field(*record, "created_at");
    out["updated_at"] = Field(*record, "created_at");
  } else {
    const nlohmann::json at =
        markers.progress && markers.progress->updated_at != absl::InfinitePast()
            ? nlohmann::json(worker::IsoTime(markers.progress->updated_at))
            : nlohmann::json();
    out["created_at"] = at;
    out["updated_at"] = at;
  }
  out["worker"] = record             ? Field(*record, "worker")
                  : markers.progress ? nlohmann::json(markers.progress->worker)
                                     : nlohmann::json();
  nlohmann::json timings = nlohmann::json::object();
  for (const char* k :
       {"queue_wait_ms", "model_load_ms", "inference_ms", "upload_ms"}) {
    timings[k] = record ? Field(*record, k) : nlohmann::json();
  }
  out["timings"] = timings;
  nlohmann::json images = nlohmann::json::array();
  if (status != "deleted" && record && Field(*record, "images").is_array()) {
    for (const auto& key : (*record)["images"]) {
      if (key.is_string())
        images.push_back(kObjectsPath + key.get<std::string>());
    }
  }
  out["images"] = images;
  out["record"] = record && status != "deleted"
                      ? nlohmann::json(absl::StrCat(kObjectsPath, id, ".json"))
                      : nlohmann::json();
  if (status == "running" && markers.progress) {
    const worker::Progress& p = *markers.progress;
    out["progress"] = {
        {"step", p.step},
        {"steps", p.steps},
        {"image", p.image},
        {"images", p.images},
        {"updated_at", p.updated_at == absl::InfinitePast()
                           ? nlohmann::json()
                           : nlohmann::json(worker::IsoTime(p.updated_at))}};
  }
  return out;
}

absl::Status ValidateRequestId(const std::string& id) {
  if (id.empty() || absl::StrContains(id, "/") ||
      !storage::ValidateObjectKey(id + ".json").ok()) {
    return absl::InvalidArgumentError(
        "id: not a request id (no '/', '..' or control characters)");
  }
  return absl::OkStatus();
}

}  // namespace ebb::http
