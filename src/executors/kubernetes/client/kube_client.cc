// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/client/kube_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/files.h"
#include "executors/kubernetes/client/api_error.h"

namespace ebb::executors::kubernetes {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool IsTlsError(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION ||
         rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
         rc == CURLE_SSL_ISSUER_ERROR;
}

void SetBlob(CURL* c, CURLoption opt, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(c, opt, &blob);
}

}  // namespace

// One request's state, shared with curl's callbacks.
struct KubeClient::Call {
  std::string method;
  std::string path;
  std::string request_body;
  bool stream = false;
  std::string body;  // the answer (or, while streaming, the partial line)
  int64_t max_tail = -1;
  std::string retry_after;
  long code = 0;
  const std::function<bool(const std::string&)>* on_line = nullptr;
  const std::function<void()>* on_open = nullptr;
  const std::atomic<bool>* stop = nullptr;
  bool stopped_by_reader = false;

  static size_t Write(char* data, size_t size, size_t n, void* self) {
    Call* c = static_cast<Call*>(self);
    c->body.append(data, size * n);
    // Logs: keep a bounded tail while reading.
    if (c->max_tail >= 0 &&
        c->body.size() > 2 * static_cast<size_t>(c->max_tail) + 65536) {
      c->body.erase(0, c->body.size() - c->max_tail);
    }
    if (c->stream && c->code == 200) {
      size_t nl;
      while ((nl = c->body.find('\n')) != std::string::npos) {
        std::string line = c->body.substr(0, nl);
        c->body.erase(0, nl + 1);
        if (!line.empty() && !(*c->on_line)(line)) {
          c->stopped_by_reader = true;
          return 0;  // ends the transfer
        }
      }
    }
    return size * n;
  }
  static size_t Header(char* data, size_t size, size_t n, void* self) {
    Call* c = static_cast<Call*>(self);
    std::string line(data, size * n);
    if (absl::StartsWithIgnoreCase(line, "HTTP/")) {
      const size_t sp = line.find(' ');
      if (sp != std::string::npos) c->code = std::atol(line.c_str() + sp + 1);
    } else if ((line == "\r\n" || line == "\n") && c->code == 200 &&
               c->on_open != nullptr && *c->on_open) {
      (*c->on_open)();
    } else if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
      c->retry_after = std::string(absl::StripAsciiWhitespace(line.substr(12)));
    }
    return size * n;
  }
  static int Progress(void* self, curl_off_t, curl_off_t, curl_off_t,
                      curl_off_t) {
    Call* c = static_cast<Call*>(self);
    return c->stop != nullptr && c->stop->load() ? 1 : 0;
  }
};

KubeClient::KubeClient(KubeConfig config, absl::Duration timeout)
    : config_(std::move(config)), timeout_(timeout) {}

std::string KubeClient::QueryEscape(const std::string& value) {
  std::string out;
  for (unsigned char ch : value) {
    if (absl::ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
        ch == '~') {
      out += static_cast<char>(ch);
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", ch));
    }
  }
  return out;
}

absl::Status KubeClient::Perform(Call& call) {
  GlobalInit();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("kubernetes: curl init failed");
  CURL* c = curl.get();
  const std::string url = config_.server + call.path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  if (!call.stream) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout_)));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Call::Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &call);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Call::Header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &call);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Call::Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &call);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  // TLS.
  if (!config_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  }
  if (!config_.ca_pem.empty()) SetBlob(c, CURLOPT_CAINFO_BLOB, config_.ca_pem);
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  }
  if (!config_.client_cert_pem.empty()) {
    SetBlob(c, CURLOPT_SSLCERT_BLOB, config_.client_cert_pem);
  }
  if (!config_.client_key_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }
  if (!config_.client_key_pem.empty()) {
    SetBlob(c, CURLOPT_SSLKEY_BLOB, config_.client_key_pem);
  }

  // Credentials.
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add_header("Accept: application/json");
  std::string token = config_.token;
  if (token.empty() && !config_.token_file.empty()) {
    auto t = ReadFile(config_.token_file);
    if (!t.ok()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "kubernetes: cannot read the token file ", config_.token_file));
    }
    token = std::string(absl::StripAsciiWhitespace(*t));
  }
  if (!token.empty()) add_header("Authorization: Bearer " + token);
  if (!config_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  if (call.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  if (!call.request_body.empty()) {
    // PATCH bodies are JSON merge patches (RFC 7386): the one patch type
    // every resource, custom resources included, accepts.
    add_header(call.method == "PATCH"
                   ? "Content-Type: application/merge-patch+json"
                   : "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.request_body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(call.request_body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(c);
  if (call.stopped_by_reader) return absl::OkStatus();
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError("kubernetes: watch stopped");
  }
  const std::string what = absl::StrCat("kubernetes: ", call.method, " ",
                                        config_.server, call.path, ": ");
  if (rc != CURLE_OK) {
    const std::string detail = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
    if (IsTlsError(rc)) {
      const std::string ca =
          !config_.ca_pem.empty()    ? "certificate-authority-data"
          : !config_.ca_file.empty() ? config_.ca_file
                                     : "the system CA bundle";
      return absl::UnavailableError(
          absl::StrCat(what, "TLS error: ", detail,
                       " (is the server's certificate signed by the CA from ",
                       ca, ", and is the client certificate accepted?)"));
    }
    return absl::UnavailableError(absl::StrCat(what, detail));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &call.code);
  if (call.code < 200 || call.code >= 300) {
    return ApiError(call.method, call.path, call.code, call.body,
                    call.retry_after);
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> KubeClient::Request(const std::string& method,
                                                   const std::string& path,
                                                   const nlohmann::json& body) {
  Call call;
  call.method = method;
  call.path = path;
  if (!body.is_null()) call.request_body = body.dump();
  absl::Status s = Perform(call);
  if (!s.ok()) return s;
  nlohmann::json j = nlohmann::json::parse(call.body, nullptr, false);
  if (j.is_discarded()) {
    return absl::UnavailableError(absl::StrCat(
        "kubernetes: ", method, " ", path, ": the answer is not JSON"));
  }
  return j;
}

absl::StatusOr<std::string> KubeClient::GetText(const std::string& path,
                                                int64_t max_tail_bytes) {
  Call call;
  call.method = "GET";
  call.path = path;
  call.max_tail = max_tail_bytes;
  absl::Status s = Perform(call);
  if (!s.ok()) return s;
  if (max_tail_bytes >= 0 &&
      call.body.size() > static_cast<size_t>(max_tail_bytes)) {
    call.body.erase(0, call.body.size() - max_tail_bytes);
  }
  return std::move(call.body);
}

absl::Status KubeClient::Watch(
    const std::string& path,
    const std::function<bool(const std::string&)>& on_line,
    const std::atomic<bool>* stop, const std::function<void()>& on_open) {
  Call call;
  call.method = "GET";
  call.path = path;
  call.stream = true;
  call.on_line = &on_line;
  call.on_open = &on_open;
  call.stop = stop;
  return Perform(call);
}

}  // namespace ebb::executors::kubernetes
