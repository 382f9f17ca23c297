// SPDX-License-Identifier: Apache-2.0
#include "cli/publish.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/status.h"
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
  for (const char* key : {"negative_prompt", "model"}) {
    if (body.contains(key) && !body[key].is_null() && !body[key].is_string()) {
      return Field(key, "must be a string");
    }
  }
  int count = body.value("count", 1);
  int repeat = body.value("repeat", 1);
  if (body.value("parallel", false) && count > 1) {
    repeat *= count;
    count = 1;
  }
  nlohmann::json base = {{"prompt", prompt}, {"count", count}};
  for (const char* key : {"negative_prompt", "seed", "steps", "width", "height",
                          "guidance_scale", "model"}) {
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
