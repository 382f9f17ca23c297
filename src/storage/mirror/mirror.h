// SPDX-License-Identifier: Apache-2.0
//
// File: storage/mirror/mirror.h
//
// Mirror: copies what changed from one ObjectStore to another, the engine of
// `ebb mirror` (the replacement for the seed's `mc mirror --exclude working`
// sidecar). It works between any two stores, so directory -> bucket,
// bucket -> directory and directory -> directory are the same code.
//
// One pass (Mirror):
//  - lists both stores under `prefix`;
//  - skips keys matching an `exclude` glob (fnmatch on the key's basename or
//    on the whole key: "working", "*.tmp", "tmp/*");
//  - copies a key that is missing in dst or differs: the sizes differ; or both
//    stores report an etag of the same kind (same length) and they differ; or
//    otherwise (an etag missing, as the filesystem store's List leaves it, or
//    of another kind, MD5 vs FNV) src's modified time is newer than dst's and
//    Head does not show equal etags of one kind on both sides (file times are
//    coarse and machines' clocks differ, so time alone recopies needlessly);
//  - copies in COMMIT ORDER: every other object first, `*.json` records last,
//    so a reader of dst never sees a record whose images are missing; a failed
//    copy ends the pass before any later record is copied;
//  - with `remove`, deletes dst keys absent from src (never excluded ones),
//    records first, so the same holds while deleting;
//  - with `once_when`, copies nothing until every pattern matches at least one
//    src key (the seed's job sidecar waits for a *.png and a *.json); the
//    stats then say what is still missing.
//
// MirrorLoop repeats passes every interval (interruptible through a
// std::stop_token), for `--watch` and for the `--once-when` wait.
//
// Threading: a pass runs on the calling thread; the stores must be safe for
// the calls it makes (every ebb store is).
#ifndef EBB_STORAGE_MIRROR_MIRROR_H_
#define EBB_STORAGE_MIRROR_MIRROR_H_

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/object_store.h"

namespace ebb::storage {

struct MirrorOptions {
  std::string prefix;                  // only keys starting with it
  std::vector<std::string> exclude;    // globs on basename or whole key
  bool remove = false;                 // delete dst keys absent from src
  std::vector<std::string> once_when;  // each must match a src key first
  bool dry_run = false;                // report, change nothing
};

// One thing a pass did (or, in a dry run, would do).
struct MirrorAction {
  enum class Kind { kCopy, kRemove };
  Kind kind = Kind::kCopy;
  std::string key;
  int64_t bytes = 0;   // copied bytes (src size in a dry run); 0 for removes
  std::string reason;  // copy: "new", "size", "etag", "newer"; remove: "gone"
};

struct MirrorStats {
  int64_t copied = 0;    // objects written to dst (would be, in a dry run)
  int64_t skipped = 0;   // src objects already equal in dst
  int64_t removed = 0;   // dst objects deleted (with `remove`)
  int64_t excluded = 0;  // src keys matching an exclude pattern
  int64_t bytes = 0;     // bytes copied
  // once_when patterns that matched no src key; when not empty the pass
  // copied and removed nothing.
  std::vector<std::string> waiting_for;
  std::vector<MirrorAction> actions;  // in the order done

  bool ready() const { return waiting_for.empty(); }
  // Adds counts and actions of `pass`; takes its waiting_for.
  MirrorStats& operator+=(const MirrorStats& pass);
};

// True when the glob `pattern` (fnmatch: *, ?, [..]) matches the whole `key`
// or its basename (the part after the last '/').
bool MatchesPattern(const std::string& pattern, const std::string& key);

// "image/png", "application/json", ... by the key's extension;
// "application/octet-stream" when unknown.
std::string ContentTypeForKey(std::string_view key);

// One pass from `src` to `dst` (see the file comment). Errors name the store
// and key (Store::Describe(), never credentials) and keep the store's code;
// actions done before the error are not rolled back.
absl::StatusOr<MirrorStats> Mirror(ObjectStore& src, ObjectStore& dst,
                                   const MirrorOptions& options);

struct MirrorLoopOptions {
  absl::Duration interval = absl::Seconds(1);
  // false: wait (one check per interval) until `once_when` holds, run one
  // pass, return. true: after that, a pass every interval until stopped.
  bool watch = false;
  // Called after every pass that ran (once_when satisfied), on the loop's
  // thread; not called for passes still waiting.
  std::function<void(const MirrorStats& pass)> on_pass;
  // Called, on the loop's thread, when a later watch pass fails (the loop then
  // retries next interval). Default: a warning in the log.
  std::function<void(const absl::Status& error)> on_error;
};

// Runs passes as `loop` says; returns the sum of the passes that ran. A
// failure of the first pass that copies is returned (bad credentials, a
// missing bucket show at once); later failures in watch mode go to
// on_error and the loop goes on. Stopping is not an error in watch mode;
// stopping while still waiting for `once_when` is Cancelled, naming the
// missing patterns.
absl::StatusOr<MirrorStats> MirrorLoop(ObjectStore& src, ObjectStore& dst,
                                       const MirrorOptions& options,
                                       const MirrorLoopOptions& loop,
                                       std::stop_token stop);

// Waits `d`, or less when `stop` is requested; false if stopped.
bool SleepUnlessStopped(absl::Duration d, std::stop_token stop);

}  // namespace ebb::storage

#endif  // EBB_STORAGE_MIRROR_MIRROR_H_
