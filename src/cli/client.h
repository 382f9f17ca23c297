// SPDX-License-Identifier: Apache-2.0
//
// File: cli/client.h
//
// What the commands that talk to a running `ebb up` share: the server and
// token they use, one call with the errors turned into plain text on stderr
// and into the exit code (DESIGN.md "Command line"): 1 for a failure (cannot
// reach `ebb up`, a refused token, an unknown id, a conflict, a server error),
// 2 for a usage error the server found (HTTP 400). A refused token names the
// data directory whose token was sent and how to point at `ebb up`'s.
//
// Not thread-safe (prints).
#ifndef EBB_CLI_CLIENT_H_
#define EBB_CLI_CLIENT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "cli/commands.h"

namespace ebb::cli {

struct Api {
  std::string server;
  std::string token;         // "" when none was found
  std::string token_source;  // "EBB_TOKEN" or "<data_dir>/token"
  // Print nothing when the server cannot be reached (the caller falls back).
  bool quiet_unreachable = false;
  // Print nothing for a 404 (the caller expects it).
  bool quiet_not_found = false;
};
Api ConnectApi(const ServerOptions& s);

// METHOD ("GET", "POST", "DELETE") `path`. On a 2xx answer: the body parsed
// as JSON (null when `raw` is given, which gets the text instead). Otherwise
// prints "error: ..." to stderr, sets *exit_code (1, or 2 for HTTP 400) and
// returns nullopt. `http_status` (optional) gets the HTTP status, 0 when the
// server was not reached.
std::optional<nlohmann::json> CallApi(const Api& api, const std::string& method,
                                      const std::string& path,
                                      const std::string& body, int* exit_code,
                                      std::string* raw = nullptr,
                                      int* http_status = nullptr);

// kubectl's age: "45s", "3m12s" (under 10 m), "42m", "5h3m" (under 8 h),
// "17h", "3d".
std::string HumanDuration(absl::Duration d);
// Now minus an ISO 8601 UTC time as HumanDuration; "-" when not a time.
std::string AgeOf(const nlohmann::json& iso, absl::Time now);
// The time of an ISO 8601 UTC string; nullopt when not one.
std::optional<absl::Time> ParseIso(const nlohmann::json& iso);

// `s` percent-encoded for a URL path segment or query value (all but
// A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(const std::string& s);

// A JSON field as text: strings as is, null/absent as "-", others dumped.
std::string Text(const nlohmann::json& j, const char* key);

}  // namespace ebb::cli

#endif  // EBB_CLI_CLIENT_H_
