// SPDX-License-Identifier: Apache-2.0
//
// File: cli/api_client.h
//
// A small client for a running `ebb up` (used by status, jobs, logs, submit).
#ifndef EBB_CLI_API_CLIENT_H_
#define EBB_CLI_API_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"

namespace ebb::cli {

struct ApiResponse {
  int status = 0;
  std::string body;
};

// GET `path` from `server` (http://host:port). Unavailable, naming the server
// and how to start one, when nothing listens there.
// Sends the token when non-empty.
absl::StatusOr<ApiResponse> ApiGet(const std::string& server,
                                   const std::string& path,
                                   const std::string& token);
// POST a JSON body with the bearer token.
absl::StatusOr<ApiResponse> ApiPost(const std::string& server,
                                    const std::string& path,
                                    const std::string& json_body,
                                    const std::string& token);

}  // namespace ebb::cli

#endif  // EBB_CLI_API_CLIENT_H_
