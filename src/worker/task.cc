// SPDX-License-Identifier: Apache-2.0
#include "worker/task.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/json_limits.h"
#include "nlohmann/json.hpp"

namespace ebb::worker {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid task: ", why));
}

// UTF-8 code points (the parser has already rejected invalid UTF-8).
int64_t CodePoints(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The field, or nullptr when absent or null.
const Json* Field(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

// An integer field in [lo, hi]; integral floats (2.0) count as integers.
absl::StatusOr<std::optional<int64_t>> IntField(const Json& j, const char* name,
                                                int64_t lo, int64_t hi) {
  const Json* f = Field(j, name);
  if (f == nullptr) return std::optional<int64_t>();
  int64_t v = 0;
  if (f->is_number_unsigned()) {
    const uint64_t u = f->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) {
      return Invalid(absl::StrCat(name, " ", u, " out of range (want ", lo,
                                  "..", hi, ")"));
    }
    v = static_cast<int64_t>(u);
  } else if (f->is_number_integer()) {
    v = f->get<int64_t>();
  } else if (f->is_number_float() && std::isfinite(f->get<double>()) &&
             std::trunc(f->get<double>()) == f->get<double>() &&
             std::fabs(f->get<double>()) < 1e18) {
    v = static_cast<int64_t>(f->get<double>());
  } else {
    return Invalid(absl::StrCat(name, " must be an integer, got ", f->dump()));
  }
  if (v < lo || v > hi) {
    return Invalid(
        absl::StrCat(name, " ", v, " out of range (want ", lo, "..", hi, ")"));
  }
  return std::optional<int64_t>(v);
}

absl::StatusOr<std::optional<std::string>> StringField(const Json& j,
                                                       const char* name) {
  const Json* f = Field(j, name);
  if (f == nullptr) return std::optional<std::string>();
  if (!f->is_string()) {
    return Invalid(
        absl::StrCat(name, " must be a string, got ", f->dump().substr(0, 80)));
  }
  return std::optional<std::string>(f->get<std::string>());
}

absl::StatusOr<int> SizeField(const Json& j, const char* name) {
  absl::StatusOr<std::optional<int64_t>> v = IntField(j, name, 64, 2048);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return 512;
  if (**v % 8 != 0) {
    return Invalid(absl::StrCat(name, " ", **v, " is not a multiple of 8"));
  }
  return static_cast<int>(**v);
}

absl::StatusOr<Task> ParseObject(const Json& j, const TaskDefaults& defaults) {
  if (!j.is_object()) {
    return Invalid(absl::StrCat("body must be a JSON object, got ",
                                std::string(j.type_name())));
  }
  Task t;
  absl::StatusOr<std::optional<std::string>> s = StringField(j, "prompt");
  if (!s.ok()) return s.status();
  if (!s->has_value()) return Invalid("prompt is missing");
  t.prompt = **s;
  if (t.prompt.empty()) return Invalid("prompt is empty");
  if (CodePoints(t.prompt) > kMaxPromptChars) {
    return Invalid(absl::StrCat("prompt has ", CodePoints(t.prompt),
                                " characters (max ", kMaxPromptChars, ")"));
  }
  s = StringField(j, "negative_prompt");
  if (!s.ok()) return s.status();
  t.negative_prompt = s->value_or("");
  if (CodePoints(t.negative_prompt) > kMaxPromptChars) {
    return Invalid(absl::StrCat("negative_prompt has more than ",
                                kMaxPromptChars, " characters"));
  }
  s = StringField(j, "id");
  if (!s.ok()) return s.status();
  if (s->has_value()) {
    if (absl::Status v = ValidateTaskId(**s); !v.ok()) return v;
    t.id = **s;
  }
  s = StringField(j, "model");
  if (!s.ok()) return s.status();
  t.model = s->value_or("");
  s = StringField(j, "scheduler");
  if (!s.ok()) return s.status();
  t.scheduler = s->value_or("");
  if (!t.scheduler.empty()) {
    bool known = false;
    for (const char* k : kSchedulers) known = known || t.scheduler == k;
    if (!known) {
      return Invalid(absl::StrCat("scheduler \"", t.scheduler.substr(0, 40),
                                  "\" is not one of euler, euler_a, ddim, "
                                  "lcm"));
    }
  }

  absl::StatusOr<std::optional<int64_t>> n = IntField(j, "count", 1, kMaxCount);
  if (!n.ok()) return n.status();
  t.count = static_cast<int>(n->value_or(1));
  n = IntField(j, "steps", 1, 150);
  if (!n.ok()) return n.status();
  t.steps = static_cast<int>(n->value_or(defaults.steps));
  n = IntField(j, "seed", -1, std::numeric_limits<uint32_t>::max());
  if (!n.ok()) return n.status();
  if (n->has_value() && **n >= 0) t.seed = static_cast<uint64_t>(**n);

  absl::StatusOr<int> size = SizeField(j, "width");
  if (!size.ok()) return size.status();
  t.width = *size;
  size = SizeField(j, "height");
  if (!size.ok()) return size.status();
  t.height = *size;

  t.guidance_scale = defaults.guidance_scale;
  if (const Json* g = Field(j, "guidance_scale"); g != nullptr) {
    if (!g->is_number()) {
      return Invalid(absl::StrCat("guidance_scale must be a number, got ",
                                  g->dump().substr(0, 80)));
    }
    t.guidance_scale = g->get<double>();
    if (!(t.guidance_scale >= 0 && t.guidance_scale <= 30)) {
      return Invalid(absl::StrCat("guidance_scale ", t.guidance_scale,
                                  " out of range (want 0..30)"));
    }
  }
  return t;
}

}  // namespace

absl::Status ValidateTaskId(const std::string& id) {
  if (id.empty()) return Invalid("id is empty");
  if (id.size() > static_cast<size_t>(kMaxIdBytes)) {
    return Invalid(absl::StrCat("id is longer than ", kMaxIdBytes, " bytes"));
  }
  if (id.front() == '.') return Invalid("id must not start with '.'");
  for (unsigned char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return Invalid(absl::StrCat("id \"", id.substr(0, kMaxIdBytes),
                                  "\" may hold only A-Z a-z 0-9 . _ -"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckJsonLimits(const std::string& body) {
  if (body.size() > kMaxBodyBytes) {
    return Invalid(absl::StrCat("body is ", body.size(), " bytes (max ",
                                kMaxBodyBytes, ")"));
  }
  if (!JsonNestingWithin(body, kMaxJsonDepth)) {
    return Invalid(
        absl::StrCat("JSON nested more than ", kMaxJsonDepth, " levels deep"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Task> ParseTask(const std::string& body,
                               const TaskDefaults& defaults) {
  if (absl::Status s = CheckJsonLimits(body); !s.ok()) return s;
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::exception& e) {
    return Invalid(absl::StrCat("body is not valid JSON: ", e.what()));
  }
  try {
    return ParseObject(j, defaults);
  } catch (const Json::exception& e) {
    return Invalid(e.what());
  }
}

uint64_t DeriveSeed(const std::string& id) {
  const uint64_t h = StableHash(id);
  return (h ^ (h >> 32)) & 0xFFFFFFFFULL;
}

absl::StatusOr<std::string> WithId(const std::string& body,
                                   const std::string& id) {
  if (absl::Status s = CheckJsonLimits(body); !s.ok()) return s;
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::InvalidArgumentError("body is not a JSON object");
  }
  j["id"] = id;
  return j.dump();
}

Task SalvageTask(const std::string& body) {
  Task t;
  if (!CheckJsonLimits(body).ok()) return t;
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return t;
  if (const Json* id = Field(j, "id");
      id != nullptr && id->is_string() &&
      ValidateTaskId(id->get<std::string>()).ok()) {
    t.id = id->get<std::string>();
  }
  if (const Json* p = Field(j, "prompt"); p != nullptr && p->is_string()) {
    t.prompt = p->get<std::string>();
  }
  return t;
}

}  // namespace ebb::worker
