// SPDX-License-Identifier: Apache-2.0
//
// File: storage/s3/s3_client.h
//
// S3Client: one bucket's signed HTTP requests over libcurl, with retries. The
// S3ObjectStore builds requests (method, key, query, body) and reads the
// answers; this class owns the URL layout (path-style or virtual-hosted),
// SigV4 signing (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3", the caller-sent
// x-amz-content-sha256, canonical query; see s3_encoding.h), TLS settings,
// timeouts, and the retry policy of S3Options: 5xx, 429 and connection
// errors are retried with exponential backoff and full jitter, other 4xx
// never. Errors name the store and operation, never the secret:
//   "s3://images at http://127.0.0.1:4568: PUT a.png: 403 InvalidAccessKeyId:
//   ..."
// 404 -> NotFound, 403 -> PermissionDenied, 400 -> InvalidArgument, other 4xx
// -> FailedPrecondition, 5xx/429/connection errors after the last attempt ->
// Unavailable.
//
// Threading: Send is safe from any number of threads; each call borrows a curl
// easy handle from a small pool (so connections are reused) and returns it.
#ifndef EBB_STORAGE_S3_S3_CLIENT_H_
#define EBB_STORAGE_S3_S3_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/s3/s3_encoding.h"
#include "storage/s3/s3_options.h"

namespace ebb::storage::s3 {

struct HttpRequest {
  std::string method{};  // GET, HEAD, PUT, POST, DELETE
  std::string key{};  // object key in the bucket (prefix applied); "" = bucket
  QueryParams query{};  // raw values; encoded and sorted when sent
  std::string_view body{};
  std::string content_type{};  // sent with PUT and POST
  std::string what{};          // for errors: "PUT a.png"
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class S3Client {
 public:
  // `options` must have passed ValidateS3Options.
  explicit S3Client(S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Sends `request`, retrying per the options. The response when its status
  // is 2xx; otherwise the mapped error (see the file comment).
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  // The error Send reports for a non-2xx `response` to `request` (also used
  // for a 200 whose body is an <Error>, as CompleteMultipartUpload may send).
  absl::Status ErrorFor(const HttpRequest& request,
                        const HttpResponse& response) const;

  // The full URL of `key` with `query`: path-style ENDPOINT/BUCKET/KEY or
  // virtual-hosted SCHEME://BUCKET.HOST/KEY.
  std::string Url(const std::string& key, const QueryParams& query) const;

  // "s3://bucket/prefix at http://host:port" (credentials masked).
  std::string Describe() const { return describe_; }
  const S3Options& options() const { return options_; }
  // Attempts that were retried so far (all calls together).
  int64_t retries() const { return retries_.load(); }

 private:
  void* Acquire();
  void Release(void* curl);
  // One try. On a transport failure returns Unavailable with curl's text and
  // sets *retryable.
  absl::StatusOr<HttpResponse> Attempt(void* curl, const HttpRequest& request,
                                       bool* retryable);
  std::string Mask(std::string_view text) const;

  const S3Options options_;
  std::string endpoint_;  // scheme://host[:port], no trailing '/'
  std::string describe_;
  std::atomic<int64_t> retries_{0};
  std::mutex mu_;
  std::vector<void*> idle_;  // pooled CURL* handles
};

}  // namespace ebb::storage::s3

#endif  // EBB_STORAGE_S3_S3_CLIENT_H_
