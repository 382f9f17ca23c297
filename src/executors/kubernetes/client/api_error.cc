// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/client/api_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {
namespace {

constexpr char kCodeUrl[] = "ebb.dev/kubernetes-http-code";
constexpr char kRetryUrl[] = "ebb.dev/kubernetes-retry-after";
constexpr size_t kMaxRawBody = 300;

}  // namespace

absl::Status ApiError(const std::string& method, const std::string& path,
                      long http_code, const std::string& body,
                      const std::string& retry_after_header) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  std::string reason, message;
  std::vector<std::string> causes;
  if (!j.is_discarded() && j.is_object() && j.value("kind", "") == "Status") {
    reason = j.value("reason", "");
    message = j.value("message", "");
    if (j.contains("details") && j["details"].contains("causes")) {
      for (const auto& c : j["details"]["causes"]) {
        causes.push_back(
            absl::StrCat(c.value("field", "?"), ": ", c.value("message", "")));
      }
    }
  } else {
    message = body.substr(0, kMaxRawBody);
  }
  std::string text =
      absl::StrCat("kubernetes: ", method, " ", path, ": ", http_code,
                   reason.empty() ? "" : " ", reason, ": ", message);
  if (!causes.empty() && message.find(causes[0]) == std::string::npos) {
    absl::StrAppend(&text, " (", absl::StrJoin(causes, "; "), ")");
  }
  absl::Status s;
  switch (http_code) {
    case 400:
    case 422:
      s = absl::InvalidArgumentError(text);
      break;
    case 401:
      s = absl::UnauthenticatedError(
          absl::StrCat(text, " (the token or client certificate was refused)"));
      break;
    case 403:
      s = absl::PermissionDeniedError(text);
      break;
    case 404:
      s = absl::NotFoundError(text);
      break;
    case 409:
      s = reason == "AlreadyExists" ? absl::AlreadyExistsError(text)
                                    : absl::AbortedError(text);
      break;
    case 410:
      s = absl::OutOfRangeError(text);
      break;
    case 429:
      s = absl::ResourceExhaustedError(text);
      break;
    default:
      s = absl::UnavailableError(text);
  }
  s.SetPayload(kCodeUrl, absl::Cord(std::to_string(http_code)));
  int64_t seconds = 0;
  if (absl::SimpleAtoi(retry_after_header, &seconds) && seconds > 0) {
    s.SetPayload(kRetryUrl, absl::Cord(std::to_string(seconds)));
  }
  return s;
}

absl::Status WithRbacHint(const absl::Status& status, const std::string& verb,
                          const std::string& group, const std::string& resource,
                          const std::vector<std::string>& rule_verbs) {
  if (status.code() != absl::StatusCode::kPermissionDenied) return status;
  const std::vector<std::string> verbs =
      rule_verbs.empty() ? std::vector<std::string>{verb} : rule_verbs;
  absl::Status hinted = absl::PermissionDeniedError(absl::StrCat(
      status.message(), " (ebb needs RBAC permission to ", verb, " ", resource,
      group.empty() ? "" : "." + group, ": add a Role rule with apiGroups [\"",
      group, "\"], resources [\"", resource, "\"], verbs [\"",
      absl::StrJoin(verbs, "\", \""), "\"] bound to ebb's service account)"));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    hinted.SetPayload(url, payload);
  });
  return hinted;
}

int HttpCodeOf(const absl::Status& status) {
  auto p = status.GetPayload(kCodeUrl);
  int code = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &code)) return 0;
  return code;
}

absl::Duration RetryAfterOf(const absl::Status& status) {
  auto p = status.GetPayload(kRetryUrl);
  int64_t s = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &s)) return absl::ZeroDuration();
  return absl::Seconds(s);
}

}  // namespace ebb::executors::kubernetes
