// SPDX-License-Identifier: Apache-2.0
// Authentication and the reply helpers shared by every route file.
#include <httplib.h>

#include "http/api_context.h"

namespace ebb::http {
namespace {

// Constant-time comparison: the token must not leak through timing.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string CookieToken(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = "ebb_token=";
  for (size_t pos = 0; pos < cookies.size();) {
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    size_t start = cookies.find_first_not_of(' ', pos);
    if (start < end && cookies.compare(start, key.size(), key) == 0) {
      return cookies.substr(start + key.size(), end - start - key.size());
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace

bool Authorize(const ApiContext& ctx, const httplib::Request& req,
               httplib::Response& res, bool write) {
  if (!write && ctx.public_reads) return true;
  const std::string header = req.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0 && SameToken(header.substr(7), ctx.token))
    return true;
  if (SameToken(CookieToken(req), ctx.token)) {
    // A cookie rides along on cross-site requests; a custom header cannot.
    if (!write || req.get_header_value("X-Ebb-Csrf") == "1") return true;
    ErrorReply(res, 401,
               "writes authenticated by cookie need the header X-Ebb-Csrf: 1");
    return false;
  }
  ErrorReply(res, 401,
             "missing or wrong token: send Authorization: Bearer <token> (the "
             "token is in "
             "the data directory's `token` file)");
  return false;
}

void JsonReply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ErrorReply(httplib::Response& res, int status, const std::string& message,
                const std::string& field) {
  nlohmann::json body = {{"error", message}};
  if (!field.empty()) body["field"] = field;
  JsonReply(res, status, body);
}

int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;  // e.g. a symbolic link out of a served directory
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

}  // namespace ebb::http
