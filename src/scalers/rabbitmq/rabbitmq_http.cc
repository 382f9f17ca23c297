// SPDX-License-Identifier: Apache-2.0
//
// Management API transport (§3.2 HTTP), mirroring getQueueInfoViaHTTP and
// getVhostAndPathFromURL in kedacore/keda pkg/scalers/rabbitmq_scaler.go.
#include <curl/curl.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/secrets.h"
#include "scalers/rabbitmq/rabbitmq_clients.h"

namespace ebb::scalers {
namespace {

constexpr int64_t kDefaultHttpTimeoutMs = 3000;  // KEDA_HTTP_DEFAULT_TIMEOUT
constexpr size_t kMaxErrorBody = 512;

// %XX decoding for URL userinfo (Go's url.User decodes it).
std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      out.push_back(
          static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void GlobalInitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

int64_t NumberOr0(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}

}  // namespace

absl::StatusOr<RabbitMqHttpRequest> BuildManagementRequest(
    const RabbitMqMetadata& meta) {
  const std::string& host = meta.host;
  const size_t scheme_end = host.find("://");
  const std::string scheme =
      scheme_end == std::string::npos
          ? ""
          : absl::AsciiStrToLower(host.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat(
        "rabbitmq: the management API needs an http(s) host URL, got scheme \"",
        scheme, "\""));
  }
  const size_t auth_start = scheme_end + 3;
  size_t auth_end = host.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) auth_end = host.size();
  std::string authority = host.substr(auth_start, auth_end - auth_start);
  size_t path_end = host.find_first_of("?#", auth_end);
  if (path_end == std::string::npos) path_end = host.size();
  const std::string path = host.substr(auth_end, path_end - auth_end);

  RabbitMqHttpRequest req;
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    req.username = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string::npos) {
      req.password = PercentDecode(userinfo.substr(colon + 1));
    }
  }
  if (!meta.username.empty() && !meta.password.empty()) {
    req.username = meta.username;
    req.password = meta.password;
  }
  if (authority.empty()) {
    return absl::InvalidArgumentError("rabbitmq: the host URL has no host");
  }

  // The last path segment is the vhost; the ones before it, a subpath.
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  std::string vhost = parts.back();
  std::vector<std::string> sub;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!parts[i].empty()) sub.push_back(parts[i]);
  }
  const std::string subpath =
      sub.empty() ? "" : absl::StrCat("/", absl::StrJoin(sub, "/"));
  if (!meta.vhost_name.empty()) vhost = QueryEscape(meta.vhost_name);
  if (vhost.empty() || vhost == "/") vhost = "%2F";

  req.url = absl::StrCat(scheme, "://", authority, subpath, "/api/queues/",
                         vhost, "/", QueryEscape(meta.queue_name));
  return req;
}

absl::StatusOr<RabbitMqQueueStats> ParseQueueInfoJson(
    const std::string& body, bool exclude_unacknowledged) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "rabbitmq: the management API returned a body that is not a JSON "
        "object");
  }
  RabbitMqQueueStats stats;
  stats.messages =
      NumberOr0(j, exclude_unacknowledged ? "messages_ready" : "messages");
  auto ms = j.find("message_stats");
  if (ms != j.end() && ms->is_object()) {
    auto pd = ms->find("publish_details");
    if (pd != ms->end() && pd->is_object()) {
      auto rate = pd->find("rate");
      if (rate != pd->end() && rate->is_number()) {
        stats.publish_rate = rate->get<double>();
      }
    }
  }
  return stats;
}

absl::StatusOr<std::string> ManagementGet(const RabbitMqMetadata& meta,
                                          const RabbitMqHttpRequest& request) {
  GlobalInitCurl();
  std::vector<std::string> secrets = meta.secrets;
  if (!request.password.empty()) secrets.push_back(request.password);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("rabbitmq: curl init failed");
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl, CURLOPT_USERNAME, request.username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, request.password.c_str());
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(meta.timeout_ms > 0 ? meta.timeout_ms
                                            : kDefaultHttpTimeoutMs));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  if (meta.unsafe_ssl) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode rc = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(MaskSecrets(
        absl::StrCat("rabbitmq: GET ", request.url, " failed: ",
                     errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc)),
        secrets));
  }
  if (http_status != 200) {
    if (body.size() > kMaxErrorBody) body.resize(kMaxErrorBody);
    const std::string msg =
        MaskSecrets(absl::StrCat("rabbitmq: GET ", request.url, ": HTTP ",
                                 http_status, ": ", body),
                    secrets);
    if (http_status == 404) return absl::NotFoundError(msg);
    if (http_status == 401 || http_status == 403) {
      return absl::PermissionDeniedError(msg);
    }
    return absl::UnavailableError(msg);
  }
  return body;
}

}  // namespace ebb::scalers
