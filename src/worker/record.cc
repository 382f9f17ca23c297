// SPDX-License-Identifier: Apache-2.0
#include "worker/record.h"

#include <cmath>

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
  const nlohmann::ordered_json null;
  const auto* g = r.generation.has_value() ? &*r.generation : nullptr;
  auto ms = [](double v) { return static_cast<int64_t>(std::llround(v)); };
  j["scheduler"] = g ? nlohmann::ordered_json(g->scheduler) : null;
  j["steps"] = g ? nlohmann::ordered_json(g->steps) : null;
  j["text_encode_ms"] =
      g ? nlohmann::ordered_json(ms(g->text_encode_ms)) : null;
  j["denoise_ms"] = g ? nlohmann::ordered_json(ms(g->denoise_ms)) : null;
  j["decode_ms"] = g ? nlohmann::ordered_json(ms(g->decode_ms)) : null;
  j["prompt_tokens"] = g ? nlohmann::ordered_json(g->prompt_tokens) : null;
  j["truncated"] = g ? nlohmann::ordered_json(g->truncated) : null;
  j["device"] = g ? nlohmann::ordered_json(g->device) : null;
  j["native_width"] = g ? nlohmann::ordered_json(
                              g->native_width ? g->native_width : r.task.width)
                        : null;
  j["native_height"] =
      g ? nlohmann::ordered_json(g->native_height ? g->native_height
                                                  : r.task.height)
        : null;
  // Replace invalid UTF-8 rather than throw (error texts may carry bytes).
  return j.dump(4, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

void AddGeneration(const inference::GenerationInfo& image,
                   std::optional<inference::GenerationInfo>* request) {
  if (!request->has_value()) {
    *request = image;
    (*request)->step_ms.clear();
    return;
  }
  inference::GenerationInfo& r = **request;
  r.tokenize_ms += image.tokenize_ms;
  r.text_encode_ms += image.text_encode_ms;
  r.denoise_ms += image.denoise_ms;
  r.decode_ms += image.decode_ms;
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
