// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/client/api_error.h
//
// Kubernetes API errors as absl::Status. The HTTP code and Retry-After ride
// along as payloads so callers can tell a 410 Gone from other failures:
//   401 -> Unauthenticated   403 -> PermissionDenied  404 -> NotFound
//   409 AlreadyExists -> AlreadyExists, other 409 -> Aborted (conflict)
//   410 -> OutOfRange (expired resourceVersion: relist)
//   422 -> InvalidArgument, naming each field cause
//   429 -> ResourceExhausted (RetryAfter)   400 -> InvalidArgument
//   5xx, transport and TLS errors -> Unavailable
// Messages start "kubernetes: VERB PATH: CODE REASON: " then the server's
// message (a 403 names the verb, resource and namespace). Never a token.
#ifndef EBB_EXECUTORS_KUBERNETES_CLIENT_API_ERROR_H_
#define EBB_EXECUTORS_KUBERNETES_CLIENT_API_ERROR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ebb::executors::kubernetes {

// The Status for an HTTP response that is not 2xx. `body` is the v1 Status
// JSON the server sent (or anything: then the message is the raw text, cut).
absl::Status ApiError(const std::string& method, const std::string& path,
                      long http_code, const std::string& body,
                      const std::string& retry_after_header);

// `status` with, for a 403 (PermissionDenied), the Role rule that would
// allow `verb` on `resource` (e.g. "jobs" in API group "batch") appended;
// other statuses unchanged. The rule lists `rule_verbs` when given (every
// verb the caller needs, so that one fix is enough), else `verb`.
absl::Status WithRbacHint(const absl::Status& status, const std::string& verb,
                          const std::string& group, const std::string& resource,
                          const std::vector<std::string>& rule_verbs = {});

// The HTTP code an ApiError carries; 0 for other statuses.
int HttpCodeOf(const absl::Status& status);
// The Retry-After of a 429/503 (zero when none).
absl::Duration RetryAfterOf(const absl::Status& status);
// True for 410 Gone / Expired: the resourceVersion is too old; relist.
inline bool IsGone(const absl::Status& s) { return HttpCodeOf(s) == 410; }

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_CLIENT_API_ERROR_H_
