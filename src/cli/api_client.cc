// SPDX-License-Identifier: Apache-2.0
#include "cli/api_client.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"

namespace ebb::cli {
namespace {

absl::Status Unreachable(const std::string& server, httplib::Error e) {
  return absl::UnavailableError(
      absl::StrCat("no ebb API at ", server, " (", httplib::to_string(e),
                   "); is `ebb up` running? (--server / EBB_SERVER)"));
}

std::unique_ptr<httplib::Client> MakeClient(const std::string& server) {
  auto c = std::make_unique<httplib::Client>(server);
  c->set_connection_timeout(2, 0);
  c->set_read_timeout(30, 0);
  return c;
}

}  // namespace

absl::StatusOr<ApiResponse> ApiGet(const std::string& server,
                                   const std::string& path,
                                   const std::string& token) {
  auto c = MakeClient(server);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = c->Get(path.c_str(), headers);
  if (!res) return Unreachable(server, res.error());
  return ApiResponse{res->status, res->body};
}

absl::StatusOr<ApiResponse> ApiPost(const std::string& server,
                                    const std::string& path,
                                    const std::string& json_body,
                                    const std::string& token) {
  auto c = MakeClient(server);
  httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  auto res = c->Post(path.c_str(), headers, json_body, "application/json");
  if (!res) return Unreachable(server, res.error());
  return ApiResponse{res->status, res->body};
}

}  // namespace ebb::cli
