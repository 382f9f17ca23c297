// SPDX-License-Identifier: Apache-2.0
#include "cli/publish.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/strings.h"
#include "worker/task.h"

namespace ebb::cli {
namespace {

absl::Status Field(const std::string& name, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", rule));
}

absl::Status CheckInt(const nlohmann::json& body, const char* key, int64_t lo,
                      int64_t hi) {
  if (!body.contains(key) || body[key].is_null()) return absl::OkStatus();
  if (!body[key].is_number_integer()) return Field(key, "must be an integer");
  int64_t v = body[key].get<int64_t>();
  if (v < lo || v > hi)
    return Field(key, absl::StrCat("must be between ", lo, " and ", hi));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<nlohmann::json>> BuildTasks(
    const nlohmann::json& body) {
  // Unknown fields are refused: a typo ("widht") must not silently become a
  // default.
  static const std::vector<std::string> kFields = {
      "prompt", "count",     "repeat",         "parallel", "negative_prompt",
      "seed",   "steps",     "guidance_scale", "width",    "height",
      "model",  "scaledjob", "scheduler"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) != kFields.end())
      continue;
    std::optional<std::string> near = NearestMatch(key, kFields);
    return Field(key, absl::StrCat("unknown field",
                                   near ? absl::StrCat(" (did you mean \"",
                                                       *near, "\"?)")
                                        : std::string()));
  }
  if (!body.contains("prompt") || !body["prompt"].is_string()) {
    return Field("prompt", "required, a string");
  }
  const std::string prompt = body["prompt"].get<std::string>();
  if (prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Field("prompt", "must not be empty or blank");
  }
  if (prompt.size() > 2000) return Field("prompt", "at most 2000 bytes");
  for (auto [key, lo, hi] :
       std::vector<std::tuple<const char*, int64_t, int64_t>>{
           {"count", 1, 4},
           {"steps", 1, 150},
           {"width", 64, 2048},
           {"height", 64, 2048},
           {"repeat", 1, 1000},
           {"seed", INT64_MIN, INT64_MAX}}) {
    if (absl::Status s = CheckInt(body, key, lo, hi); !s.ok()) return s;
  }
  for (const char* key : {"width", "height"}) {
    if (body.contains(key) && body[key].is_number_integer() &&
        body[key].get<int>() % 8) {
      return Field(key, "must be a multiple of 8");
    }
  }
  if (body.contains("guidance_scale") && !body["guidance_scale"].is_null() &&
      (!body["guidance_scale"].is_number() ||
       !std::isfinite(body["guidance_scale"].get<double>()))) {
    return Field("guidance_scale", "must be a number");
  }
  for (const char* key :
       {"negative_prompt", "model", "scaledjob", "scheduler"}) {
    if (body.contains(key) && !body[key].is_null() && !body[key].is_string()) {
      return Field(key, "must be a string");
    }
  }
  if (body.contains("parallel") && !body["parallel"].is_null() &&
      !body["parallel"].is_boolean()) {
    return Field("parallel", "must be true or false");
  }
  // null means "not set" for every optional field.
  auto int_or = [&](const char* key, int fallback) {
    return body.contains(key) && !body[key].is_null() ? body[key].get<int>()
                                                      : fallback;
  };
  int count = int_or("count", 1);
  int repeat = int_or("repeat", 1);
  const bool parallel = body.contains("parallel") &&
                        body["parallel"].is_boolean() &&
                        body["parallel"].get<bool>();
  const bool split = parallel && count > 1;
  if (split) {
    repeat *= count;
    count = 1;
  }
  nlohmann::json base = {{"prompt", prompt}, {"count", count}};
  for (const char* key : {"negative_prompt", "seed", "steps", "width", "height",
                          "guidance_scale", "model", "scheduler"}) {
    if (body.contains(key) && !body[key].is_null()) base[key] = body[key];
  }
  // The worker's own rules decide, so nothing accepted here is dead-lettered
  // later.
  if (auto parsed = worker::ParseTask(base.dump()); !parsed.ok()) {
    return absl::InvalidArgumentError(std::string(parsed.status().message()));
  }
  std::vector<nlohmann::json> tasks;
  for (int i = 0; i < repeat; ++i) {
    nlohmann::json t = base;
    t["id"] = NewUuid();
    // N images "in parallel" with one seed are the images seed, seed+1, ...
    // that one request of N would make (the worker's rule), not N copies of
    // one.
    if (split && t.contains("seed") && t["seed"].get<int64_t>() >= 0) {
      t["seed"] = t["seed"].get<int64_t>() + i % (repeat / int_or("repeat", 1));
    }
    tasks.push_back(std::move(t));
  }
  return tasks;
}

absl::Status PublishTasks(queue::MessageQueue& mq, const std::string& queue,
                          const std::vector<nlohmann::json>& tasks,
                          std::vector<std::string>* published) {
  for (size_t i = published->size(); i < tasks.size(); ++i) {
    const nlohmann::json& t = tasks[i];
    queue::OutgoingMessage msg;
    msg.body = t.dump();
    msg.message_id = t["id"].get<std::string>();
    msg.headers[queue::kHeaderEnqueuedAtMs] =
        absl::StrCat(absl::ToUnixMillis(absl::Now()));
    EBB_RETURN_IF_ERROR(mq.Publish(queue, msg));
    published->push_back(msg.message_id);
  }
  return absl::OkStatus();
}

}  // namespace ebb::cli
