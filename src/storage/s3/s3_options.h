// SPDX-License-Identifier: Apache-2.0
//
// File: storage/s3/s3_options.h
//
// S3Options: where an S3ObjectStore keeps its objects and how it talks to the
// server (any S3-compatible one: AWS, MinIO, s3rver), and S3OptionsFromUri,
// which reads them from an object store URI plus the standard environment:
//
//   s3://BUCKET[/PREFIX][?QUERY]
//
//   environment: AWS_ENDPOINT_URL, AWS_REGION (else AWS_DEFAULT_REGION),
//                AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CA_BUNDLE
//   query (each overrides the environment):
//     endpoint=http://127.0.0.1:9000   (default: AWS,
//     https://s3.REGION.amazonaws.com) region=eu-west-1 (default us-east-1)
//     path_style=true|false            (default: true with an endpoint, else
//     false) ca_bundle=/etc/ssl/minio-ca.pem insecure_skip_verify=true (never
//     implied; skips TLS verification)
//
// Example:
// "s3://images/results?endpoint=http://127.0.0.1:4568&region=us-east-1" stores
// key "a.png" as object "results/a.png" in bucket "images". Credentials are
// never taken from the URI (an s3://user:pass@ form is InvalidArgument, its
// secret not echoed). Query values are percent-decoded.
#ifndef EBB_STORAGE_S3_S3_OPTIONS_H_
#define EBB_STORAGE_S3_S3_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ebb::storage {

struct S3Options {
  std::string bucket;  // required
  // Key prefix inside the bucket: "results" or "results/" stores key "a.png"
  // as "results/a.png". "" = the bucket root.
  std::string prefix;
  // "http://127.0.0.1:4568" or "https://minio.example:9000"; no path.
  // "" = AWS: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;  // never printed, never in errors
  // Path-style (ENDPOINT/BUCKET/KEY) or virtual-hosted (BUCKET.HOST/KEY).
  // Unset: path-style when `endpoint` is set, virtual-hosted for AWS.
  std::optional<bool> path_style;
  std::string ca_bundle;              // PEM file; "" = the system's
  bool insecure_skip_verify = false;  // only when explicitly asked
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration request_timeout = absl::Minutes(5);  // one attempt
  // Puts of more than `multipart_threshold` bytes use multipart upload with
  // parts of `part_size` bytes (S3's minimum part size is 5 MiB).
  int64_t multipart_threshold = int64_t{8} << 20;
  int64_t part_size = int64_t{8} << 20;
  // Retries on 5xx, 429 and connection errors (never on other 4xx): at most
  // `max_attempts` tries, sleeping a uniformly random time in
  // [0, min(retry_max_backoff, retry_base_backoff * 2^n)] before retry n+1.
  int max_attempts = 5;
  absl::Duration retry_base_backoff = absl::Milliseconds(100);
  absl::Duration retry_max_backoff = absl::Seconds(5);
  // ListObjectsV2 max-keys per page (S3 caps it at 1000); small in tests.
  int list_page_size = 1000;
};

// Reads an environment variable; "" when unset.
using EnvGetter = std::function<std::string(const std::string&)>;

// The getter for the process environment (std::getenv).
EnvGetter ProcessEnv();

// Options for `uri` (see the file comment). InvalidArgument for a URI that is
// not s3://, has no bucket, holds credentials, or has an unknown or bad query
// parameter.
absl::StatusOr<S3Options> S3OptionsFromUri(const std::string& uri,
                                           const EnvGetter& env);

// OK when `options` can be used: a valid bucket name, an http(s) endpoint
// without a path, positive sizes and attempts, part_size >= 5 MiB unless
// multipart is effectively off. InvalidArgument naming the field otherwise.
absl::Status ValidateS3Options(const S3Options& options);

}  // namespace ebb::storage

#endif  // EBB_STORAGE_S3_S3_OPTIONS_H_
