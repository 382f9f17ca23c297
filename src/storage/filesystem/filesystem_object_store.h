// SPDX-License-Identifier: Apache-2.0
//
// File: storage/filesystem/filesystem_object_store.h
//
// FilesystemObjectStore: an ObjectStore in a local directory, for single-node
// use. Key "a/b c.png" is the file "<root>/a/b c.png"; subdirectories are
// created as needed.
//
// Put writes a temp file ".ebb-tmp-*" in the target's directory, fsyncs it,
// renames it over the target and fsyncs the directory, so readers (other
// threads and processes, the UI) see the whole old or the whole new object.
// Temp files never appear in List. A crash may leave one behind: Open removes
// those older than kStaleTempAge (no Put takes that long), so killed workers
// do not fill the disk. Head hashes the file for its etag; List leaves etag ""
// so listing a gallery never reads every image. Content types are not stored
// (readers go by the key's extension). Put over a key that is a directory ("a"
// when "a/b" exists), or under a key that is a file, is FailedPrecondition. Get
// and Head never follow a symbolic link out of the store's directory
// (PermissionDenied); List skips links.
//
// Threading: safe for concurrent use from several threads and processes (each
// Put has its own temp file; the last rename wins).
#ifndef EBB_STORAGE_FILESYSTEM_FILESYSTEM_OBJECT_STORE_H_
#define EBB_STORAGE_FILESYSTEM_FILESYSTEM_OBJECT_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/object_store.h"

namespace ebb::storage {

// Age after which a leftover ".ebb-tmp-*" file is a crashed Put's.
inline constexpr absl::Duration kStaleTempAge = absl::Minutes(10);

class FilesystemObjectStore : public ObjectStore {
 public:
  // Opens (creating it if missing) the directory `root`; a relative path is
  // resolved against the current directory. Internal if it cannot be created,
  // FailedPrecondition if it exists and is not a directory. Removes stale temp
  // files (RemoveStaleTempFiles(kStaleTempAge)).
  static absl::StatusOr<std::unique_ptr<FilesystemObjectStore>> Open(
      const std::string& root);

  // ObjectStore (see the interface).
  absl::Status Put(const std::string& key, std::string_view data,
                   const std::string& content_type) override;
  absl::StatusOr<std::string> Get(const std::string& key) override;
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) override;
  absl::Status Delete(const std::string& key) override;
  std::string Describe() const override;

  // Removes the ".ebb-tmp-*" files anywhere under the root whose last change
  // is older than `age` (by the file system's clock) and returns how many.
  // Best effort: files that vanish or cannot be removed are skipped.
  int RemoveStaleTempFiles(absl::Duration age);

  // The absolute directory holding the objects.
  const std::string& root() const { return root_; }

 private:
  explicit FilesystemObjectStore(std::string root) : root_(std::move(root)) {}
  std::string PathOf(const std::string& key) const;

  const std::string root_;
};

}  // namespace ebb::storage

#endif  // EBB_STORAGE_FILESYSTEM_FILESYSTEM_OBJECT_STORE_H_
