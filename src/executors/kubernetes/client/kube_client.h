// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/client/kube_client.h
//
// A small Kubernetes REST client over libcurl: JSON requests and watch
// streams, authenticated and verified as a KubeConfig says (bearer token or
// token file, client certificate and key from files or PEM text, basic auth;
// CA bundle from a file or PEM text). TLS is libcurl's (OpenSSL).
//
// Errors (api_error.h): HTTP errors map to canonical codes with the server's
// message; a TLS failure (e.g. the server's certificate is not signed by the
// configured CA) is Unavailable and says so, naming where the CA came from.
// No request is retried here: callers decide (the watch loop backs off).
//
// Threading: every method may be called from any thread concurrently; each
// request uses its own curl handle.
#ifndef EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CLIENT_H_
#define EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "executors/kubernetes/client/kube_config.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

class KubeClient {
 public:
  // `timeout`: whole-request limit for Request/GetText (not for Watch).
  explicit KubeClient(KubeConfig config,
                      absl::Duration timeout = absl::Seconds(30));

  const KubeConfig& config() const { return config_; }

  // `path` starts with "/" and includes the query ("/api/v1/...?..."). An
  // empty `body` sends none; a PATCH body is sent as a JSON merge patch
  // (application/merge-patch+json). Returns the parsed JSON of a 2xx answer.
  absl::StatusOr<nlohmann::json> Request(const std::string& method,
                                         const std::string& path,
                                         const nlohmann::json& body = nullptr);
  // A text resource (pod logs): the last `max_tail_bytes` bytes (all when
  // negative).
  absl::StatusOr<std::string> GetText(const std::string& path,
                                      int64_t max_tail_bytes);
  // GETs a watch stream and calls `on_line` with each line (one event JSON)
  // until the server ends the stream (OK), `on_line` returns false (OK),
  // `*stop` becomes true (Cancelled, noticed within about a second), or an
  // error. `on_open` (when given) is called once the server has answered
  // 200, before any line. The stream lasts as long as the server keeps it
  // (ask for timeoutSeconds in `path`).
  absl::Status Watch(const std::string& path,
                     const std::function<bool(const std::string&)>& on_line,
                     const std::atomic<bool>* stop,
                     const std::function<void()>& on_open = nullptr);

  // %-escapes a query value (RFC 3986 unreserved kept).
  static std::string QueryEscape(const std::string& value);

 private:
  struct Call;
  absl::Status Perform(Call& call);

  const KubeConfig config_;
  const absl::Duration timeout_;
};

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_CLIENT_KUBE_CLIENT_H_
