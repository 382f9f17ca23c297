// SPDX-License-Identifier: Apache-2.0
#include "worker/control.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json_limits.h"
#include "nlohmann/json.hpp"

namespace ebb::worker {

std::string ProgressKey(const std::string& id) { return id + kProgressSuffix; }
std::string CancelKey(const std::string& id) { return id + kCancelSuffix; }
std::string TombstoneKey(const std::string& id) {
  return id + kTombstoneSuffix;
}

std::string SubmittedKey(const std::string& id) {
  return id + kSubmittedSuffix;
}

std::optional<std::string> SubmittedJson(const std::string& task_json,
                                         absl::Time at) {
  if (!JsonNestingWithin(task_json)) return std::nullopt;
  auto j = nlohmann::json::parse(task_json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  j["submitted_at"] = IsoTime(at);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IsoTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string ProgressJson(const Progress& p) {
  nlohmann::ordered_json j;
  j["id"] = p.id;
  j["status"] = "running";
  j["step"] = p.step;
  j["steps"] = p.steps;
  j["image"] = p.image;
  j["images"] = p.images;
  j["worker"] = p.worker;
  j["updated_at"] = IsoTime(p.updated_at);
  return j.dump(-1, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<Progress> ParseProgress(const std::string& text) {
  if (!JsonNestingWithin(text)) return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto num = [&j](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_number_integer() ? it->get<int>() : -1;
  };
  Progress p;
  p.step = num("step");
  p.steps = num("steps");
  if (p.step < 0 || p.steps < 0) return std::nullopt;
  p.image = std::max(1, num("image"));
  p.images = std::max(1, num("images"));
  if (j.contains("id") && j["id"].is_string()) p.id = j["id"];
  if (j.contains("worker") && j["worker"].is_string()) p.worker = j["worker"];
  std::string err;
  if (!j.contains("updated_at") || !j["updated_at"].is_string() ||
      !absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ",
                       j["updated_at"].get<std::string>(), &p.updated_at,
                       &err)) {
    p.updated_at = absl::InfinitePast();
  }
  return p;
}

std::string CancelJson(const std::string& id, absl::Time at) {
  return nlohmann::json{{"id", id}, {"requested_at", IsoTime(at)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TombstoneJson(const std::string& id, absl::Time at) {
  return nlohmann::json{{"id", id}, {"deleted_at", IsoTime(at)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsImageKeyOf(const std::string& key, const std::string& id) {
  const std::string prefix = id + "-";
  if (!absl::StartsWith(key, prefix) || !absl::EndsWith(key, ".png")) {
    return false;
  }
  const std::string n =
      key.substr(prefix.size(), key.size() - prefix.size() - 4);
  if (n.empty() || n[0] == '0') return false;
  for (char c : n) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace ebb::worker
