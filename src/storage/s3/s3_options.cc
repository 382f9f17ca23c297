// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_options.h"

#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/secrets.h"
#include "storage/s3/s3_encoding.h"

namespace ebb::storage {
namespace {

constexpr int64_t kMinPartSize = int64_t{5} << 20;

absl::Status BadUri(const std::string& uri, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "object store URI \"", MaskUrlCredentials(uri), "\": ", why,
      " (form: s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path_style=true|"
      "false&ca_bundle=FILE&insecure_skip_verify=true])"));
}

absl::StatusOr<bool> ParseBool(const std::string& uri, const std::string& name,
                               const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return BadUri(
      uri, absl::StrCat(name, " must be true or false, not \"", value, "\""));
}

bool ValidBucketName(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || c == '_';
    if (!ok) return false;
  }
  return b.front() != '-' && b.front() != '.' && b.back() != '-' &&
         b.back() != '.';
}

}  // namespace

EnvGetter ProcessEnv() {
  return [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return std::string(v ? v : "");
  };
}

absl::StatusOr<S3Options> S3OptionsFromUri(const std::string& uri,
                                           const EnvGetter& env) {
  if (!absl::StartsWith(uri, "s3://")) return BadUri(uri, "not an s3:// URI");
  std::string rest = uri.substr(5);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  S3Options o;
  o.bucket = rest.substr(0, slash);
  if (slash != std::string::npos)
    o.prefix = s3::UriDecode(rest.substr(slash + 1));
  if (size_t at = rest.find('@');
      at != std::string::npos &&
      rest.substr(0, at).find(':') != std::string::npos) {
    return BadUri(uri,
                  "credentials do not go in the URI; use AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY");
  }
  if (o.bucket.empty()) return BadUri(uri, "no bucket");

  o.endpoint = env("AWS_ENDPOINT_URL");
  std::string region = env("AWS_REGION");
  if (region.empty()) region = env("AWS_DEFAULT_REGION");
  if (!region.empty()) o.region = region;
  o.access_key = env("AWS_ACCESS_KEY_ID");
  o.secret_key = env("AWS_SECRET_ACCESS_KEY");
  o.ca_bundle = env("AWS_CA_BUNDLE");

  if (!query.empty()) {
    for (absl::string_view part :
         absl::StrSplit(query, '&', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(part, absl::MaxSplits('=', 1));
      std::string name = s3::UriDecode(kv.first);
      std::string value = s3::UriDecode(kv.second);
      if (name == "endpoint") {
        o.endpoint = value;
      } else if (name == "region") {
        o.region = value;
      } else if (name == "path_style") {
        absl::StatusOr<bool> b = ParseBool(uri, name, value);
        if (!b.ok()) return b.status();
        o.path_style = *b;
      } else if (name == "ca_bundle") {
        o.ca_bundle = value;
      } else if (name == "insecure_skip_verify") {
        absl::StatusOr<bool> b = ParseBool(uri, name, value);
        if (!b.ok()) return b.status();
        o.insecure_skip_verify = *b;
      } else {
        return BadUri(uri, absl::StrCat("unknown parameter \"", name, "\""));
      }
    }
  }
  absl::Status valid = ValidateS3Options(o);
  if (!valid.ok()) return BadUri(uri, std::string(valid.message()));
  return o;
}

absl::Status ValidateS3Options(const S3Options& o) {
  if (!ValidBucketName(o.bucket)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bucket \"", o.bucket,
        "\" is not a valid name (3-63 of a-z 0-9 . - _, starting and ending "
        "with a letter or digit)"));
  }
  if (!o.endpoint.empty()) {
    if (!absl::StartsWith(o.endpoint, "http://") &&
        !absl::StartsWith(o.endpoint, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("endpoint \"", MaskUrlCredentials(o.endpoint),
                       "\" must start with http:// or https://"));
    }
    std::string host = o.endpoint.substr(o.endpoint.find("://") + 3);
    while (!host.empty() && host.back() == '/') host.pop_back();
    if (host.empty() || host.find('/') != std::string::npos ||
        host.find('?') != std::string::npos ||
        host.find('@') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoint \"", MaskUrlCredentials(o.endpoint),
          "\" must be scheme://host[:port], without path or credentials"));
    }
  }
  if (o.region.empty()) return absl::InvalidArgumentError("region is empty");
  if (o.max_attempts < 1) {
    return absl::InvalidArgumentError("max_attempts must be at least 1");
  }
  if (o.list_page_size < 1 || o.list_page_size > 1000) {
    return absl::InvalidArgumentError("list_page_size must be 1..1000");
  }
  if (o.multipart_threshold < 0 || o.part_size < kMinPartSize) {
    return absl::InvalidArgumentError(
        "multipart_threshold must be >= 0 and part_size >= 5 MiB");
  }
  if (o.connect_timeout <= absl::ZeroDuration() ||
      o.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  return absl::OkStatus();
}

}  // namespace ebb::storage
