// SPDX-License-Identifier: Apache-2.0
#include "worker/record.h"

#include "absl/strings/str_cat.h"
#include "common/json_limits.h"
#include "nlohmann/json.hpp"

namespace ebb::worker {

std::string ImageKey(const std::string& id, int n) {
  return absl::StrCat(id, "-", n, ".png");
}

std::string RecordKey(const std::string& id) { return id + ".json"; }

std::string RecordJson(const ResultRecord& r) {
  nlohmann::ordered_json j;
  j["prompt"] = r.task.prompt;
  j["negative_prompt"] = r.task.negative_prompt;
  j["image_width"] = r.task.width;
  j["image_height"] = r.task.height;
  j["inference_steps"] = r.task.steps;
  j["guidance_scale"] = r.task.guidance_scale;
  j["number_of_images"] = r.task.count;
  j["seed"] = r.seed;
  j["lcm_model_id"] = r.model;
  j["id"] = r.task.id;
  j["model"] = r.model;
  j["status"] = r.done ? "done" : r.cancelled ? "cancelled" : "failed";
  j["error"] = r.done || r.cancelled ? nlohmann::ordered_json()
                                     : nlohmann::ordered_json(r.error);
  j["attempt"] = r.attempt;
  j["worker"] = r.worker;
  j["queue_wait_ms"] = r.queue_wait_ms.has_value()
                           ? nlohmann::ordered_json(*r.queue_wait_ms)
                           : nlohmann::ordered_json();
  j["model_load_ms"] = r.model_load_ms;
  j["inference_ms"] = r.inference_ms;
  j["upload_ms"] = r.upload_ms;
  j["created_at"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.created_at,
                                     absl::UTCTimeZone());
  j["images"] = r.images;
  // Replace invalid UTF-8 rather than throw (error texts may carry bytes).
  return j.dump(4, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

bool HasStatus(const std::string& json, const char* status) {
  if (!JsonNestingWithin(json)) return false;
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto it = j.find("status");
  return it != j.end() && it->is_string() && it->get<std::string>() == status;
}

}  // namespace

bool IsDoneRecord(const std::string& json) { return HasStatus(json, "done"); }

bool IsCancelledRecord(const std::string& json) {
  return HasStatus(json, "cancelled");
}

}  // namespace ebb::worker
