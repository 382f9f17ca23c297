// SPDX-License-Identifier: Apache-2.0
#include "cli/client.h"

#include <httplib.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/wiring.h"

namespace ebb::cli {

Api ConnectApi(const ServerOptions& s) {
  Api api;
  api.server = s.server;
  if (const char* env = std::getenv("EBB_TOKEN"); env && *env) {
    api.token_source = "EBB_TOKEN";
  } else {
    api.token_source = s.data_dir + "/token";
  }
  auto t = ApiToken(s.data_dir, false);
  if (t.ok()) api.token = *t;
  return api;
}

namespace {

std::string ErrorOf(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? "(no details)" : text;
}

}  // namespace

std::optional<nlohmann::json> CallApi(const Api& api, const std::string& method,
                                      const std::string& path,
                                      const std::string& body, int* exit_code,
                                      std::string* raw, int* http_status) {
  if (http_status != nullptr) *http_status = 0;
  httplib::Client c(api.server);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(30, 0);
  httplib::Headers headers;
  if (!api.token.empty()) {
    headers.emplace("Authorization", "Bearer " + api.token);
  }
  httplib::Result res = method == "POST"
                            ? c.Post(path, headers, body, "application/json")
                        : method == "DELETE" ? c.Delete(path, headers)
                                             : c.Get(path, headers);
  if (!res) {
    *exit_code = kExitFailure;
    if (api.quiet_unreachable) return std::nullopt;
    std::cerr << "error: cannot reach `ebb up` at " << api.server << " ("
              << httplib::to_string(res.error())
              << "): is it running? Point --server (or EBB_SERVER) at it.\n";
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  if (http_status != nullptr) *http_status = res->status;
  if (res->status / 100 != 2) {
    const std::string why = ErrorOf(res->body);
    if (res->status == 404 && api.quiet_not_found) {
      // The caller expected it.
    } else if (res->status == 401) {
      std::cerr << "error: `ebb up` at " << api.server << " refused "
                << (api.token.empty()
                        ? absl::StrCat("the request: no token found at ",
                                       api.token_source)
                        : absl::StrCat("the token from ", api.token_source))
                << " (" << why
                << "). Point --data-dir (or EBB_DATA_DIR) at the data "
                   "directory `ebb up` was started with, or set EBB_TOKEN to "
                   "the token it printed.\n";
    } else {
      std::cerr << "error: " << why << "\n";
    }
    *exit_code = res->status == 400 ? kExitUsage : kExitFailure;
    return std::nullopt;
  }
  *exit_code = kExitOk;
  if (raw != nullptr) {
    *raw = res->body;
    return nlohmann::json();
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "error: `ebb up` at " << api.server << " answered " << path
              << " with something that is not JSON\n";
    *exit_code = kExitFailure;
    return std::nullopt;
  }
  return j;
}

std::string HumanDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 0) s = 0;
  if (s < 120) return absl::StrCat(s, "s");
  const int64_t m = s / 60;
  if (m < 10)
    return absl::StrCat(m, "m", s % 60 == 0 ? "" : absl::StrCat(s % 60, "s"));
  if (m < 180) return absl::StrCat(m, "m");
  const int64_t h = m / 60;
  if (h < 8)
    return absl::StrCat(h, "h", m % 60 == 0 ? "" : absl::StrCat(m % 60, "m"));
  if (h < 48) return absl::StrCat(h, "h");
  return absl::StrCat(h / 24, "d");
}

std::optional<absl::Time> ParseIso(const nlohmann::json& iso) {
  if (!iso.is_string()) return std::nullopt;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", iso.get<std::string>(), &t,
                       &err) &&
      !absl::ParseTime(absl::RFC3339_full, iso.get<std::string>(), &t, &err)) {
    return std::nullopt;
  }
  return t;
}

std::string AgeOf(const nlohmann::json& iso, absl::Time now) {
  auto t = ParseIso(iso);
  return t ? HumanDuration(now - *t) : "-";
}

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace ebb::cli
