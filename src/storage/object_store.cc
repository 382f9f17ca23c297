// SPDX-License-Identifier: Apache-2.0
#include "storage/object_store.h"

#include <filesystem>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "storage/filesystem/filesystem_object_store.h"
#include "storage/s3/s3_object_store.h"

namespace ebb::storage {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr char kReservedPrefix[] = ".ebb-tmp";

absl::Status BadKey(const std::string& key, const char* why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid object key \"", absl::CHexEscape(key), "\": ", why));
}

}  // namespace

absl::Status ValidateObjectKey(const std::string& key) {
  if (key.empty()) return BadKey(key, "empty");
  if (key.size() > kMaxKeyBytes) {
    return BadKey(key.substr(0, 64), "longer than 1024 bytes");
  }
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f)
      return BadKey(key, "contains a control character");
  }
  if (key.front() == '/') return BadKey(key, "starts with '/'");
  if (key.back() == '/') return BadKey(key, "ends with '/'");
  for (absl::string_view seg : absl::StrSplit(key, '/')) {
    if (seg.empty()) return BadKey(key, "has an empty path segment (\"//\")");
    if (seg == "." || seg == "..") {
      return BadKey(key, "has a \".\" or \"..\" path segment");
    }
    if (absl::StartsWith(seg, kReservedPrefix)) {
      return BadKey(key,
                    "has a segment starting with the reserved \".ebb-tmp\"");
    }
  }
  return absl::OkStatus();
}

std::string ContentEtag(std::string_view data) {
  return absl::StrFormat("%016x", StableHash(data));
}

absl::StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(
    const std::string& uri) {
  constexpr char kKnown[] =
      "known: file:///abs/dir, /abs/dir, rel/dir, s3://bucket/prefix";
  if (uri.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty object store URI (", kKnown, ")"));
  }
  std::string path = uri;
  if (absl::StartsWith(uri, "file://")) {
    path = uri.substr(7);
    if (path.empty() || path.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("object store URI \"", uri,
                       "\": file:// needs an absolute path and no host, as in "
                       "file:///var/lib/ebb/results"));
    }
  } else if (absl::StartsWith(uri, "s3://")) {
    return OpenS3ObjectStore(uri);
  } else if (size_t p = uri.find("://"); p != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("object store URI \"", uri, "\": unknown scheme \"",
                     uri.substr(0, p), "\" (", kKnown, ")"));
  }
  absl::StatusOr<std::unique_ptr<FilesystemObjectStore>> fs =
      FilesystemObjectStore::Open(path);
  if (!fs.ok()) return fs.status();
  return std::unique_ptr<ObjectStore>(std::move(*fs));
}

}  // namespace ebb::storage
