// SPDX-License-Identifier: Apache-2.0
//
// File: storage/object_store.h
//
// ObjectStore: where workers put results (`<id>-<n>.png`, then `<id>.json`) and
// the UI reads them. Chosen by URI with OpenObjectStore: a plain path or
// file:///path is the filesystem store (filesystem/); s3://bucket/prefix is S3
// or MinIO (s3/s3_options.h gives the URI form: endpoint, region and
// credentials from the query or the AWS_* environment).
//
// Contract: Put is atomic and durable when it returns OK: a reader sees the
// whole object or none, never a prefix. Keys are flat names without "..", may
// contain '/', spaces and UTF-8 (see ValidateObjectKey).
//
// Threading: implementations are safe for concurrent use from several threads
// and processes.
#ifndef EBB_STORAGE_OBJECT_STORE_H_
#define EBB_STORAGE_OBJECT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ebb::storage {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;  // bytes
  absl::Time modified;
  std::string etag;  // content hash or store-specific tag; "" if unknown
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Stores `data` under `key`, replacing any previous object. InvalidArgument
  // for a bad key; Unavailable/Internal on I/O failure (then the old object, if
  // any, is intact).
  virtual absl::Status Put(const std::string& key, std::string_view data,
                           const std::string& content_type) = 0;
  // NotFound when absent.
  virtual absl::StatusOr<std::string> Get(const std::string& key) = 0;
  virtual absl::StatusOr<ObjectInfo> Head(const std::string& key) = 0;
  // Every object whose key starts with `prefix`, sorted by key.
  virtual absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) = 0;
  // OK when absent too.
  virtual absl::Status Delete(const std::string& key) = 0;
  // For logs and errors, without credentials: "file:///var/lib/ebb/results".
  virtual std::string Describe() const = 0;
};

// OK when `key` is a valid object key: 1..1024 bytes, no ASCII control
// characters (NUL included), no leading or trailing '/', no empty, "." or ".."
// path segment, and no segment starting with ".ebb-tmp" (reserved for the
// filesystem store's temp files). Spaces, UTF-8 and '/' (subdirectories) are
// fine. InvalidArgument naming the rule otherwise. Every store checks keys
// with it, so a key valid for one store is valid for all.
absl::Status ValidateObjectKey(const std::string& key);

// The etag ebb stores report for `data`: the 64-bit FNV-1a hash (common/ids.h
// StableHash) of the bytes as 16 lowercase hex digits.
std::string ContentEtag(std::string_view data);

// Opens the store named by `uri`: "/abs/dir", "rel/dir" or "file:///abs/dir"
// (created if missing). InvalidArgument for an unknown scheme, listing the
// known ones.
absl::StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(
    const std::string& uri);

}  // namespace ebb::storage

#endif  // EBB_STORAGE_OBJECT_STORE_H_
