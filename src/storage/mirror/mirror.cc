// SPDX-License-Identifier: Apache-2.0
#include "storage/mirror/mirror.h"

#include <fnmatch.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status.h"

namespace ebb::storage {
namespace {

// A record (`<id>.json`) is committed after every other object.
bool IsRecord(const std::string& key) {
  return absl::EndsWith(absl::AsciiStrToLower(key), ".json");
}

bool IsExcluded(const MirrorOptions& o, const std::string& key) {
  for (const std::string& p : o.exclude) {
    if (MatchesPattern(p, key)) return true;
  }
  return false;
}

bool Comparable(const std::string& a, const std::string& b) {
  // Etags of different kinds (FNV from ebb stores, MD5 from S3) say nothing
  // about each other: compare only same-length tags.
  return !a.empty() && !b.empty() && a.size() == b.size();
}

// Why `s` must be copied over `d` (nullptr: absent in dst); "" when equal.
std::string CopyReason(ObjectStore& src, ObjectStore& dst, const ObjectInfo& s,
                       const ObjectInfo* d) {
  if (d == nullptr) return "new";
  if (s.size != d->size) return "size";
  if (Comparable(s.etag, d->etag)) return s.etag == d->etag ? "" : "etag";
  if (s.modified <= d->modified) return "";
  // Newer by time, but file times are coarse (a clock tick) and clocks of two
  // machines differ: when both stores can tell the content hash (Head), it
  // decides. Failures here just mean "copy"; the copy reports real errors.
  absl::StatusOr<ObjectInfo> sh = src.Head(s.key);
  absl::StatusOr<ObjectInfo> dh = dst.Head(d->key);
  if (sh.ok() && dh.ok() && Comparable(sh->etag, dh->etag) &&
      sh->etag == dh->etag) {
    return "";
  }
  return "newer";
}

// Records after everything else; each group keeps key order.
void CommitOrder(std::vector<ObjectInfo>& objects, bool records_first) {
  std::stable_partition(objects.begin(), objects.end(),
                        [records_first](const ObjectInfo& o) {
                          return IsRecord(o.key) == records_first;
                        });
}

absl::Status Context(const absl::Status& s, const std::string& what,
                     const ObjectStore& store, const std::string& key = "") {
  std::string ctx = absl::StrCat(what, " ", store.Describe());
  if (!key.empty()) absl::StrAppend(&ctx, " key \"", key, "\"");
  return Annotate(s, ctx);
}

}  // namespace

MirrorStats& MirrorStats::operator+=(const MirrorStats& pass) {
  copied += pass.copied;
  skipped += pass.skipped;
  removed += pass.removed;
  excluded += pass.excluded;
  bytes += pass.bytes;
  waiting_for = pass.waiting_for;
  actions.insert(actions.end(), pass.actions.begin(), pass.actions.end());
  return *this;
}

bool MatchesPattern(const std::string& pattern, const std::string& key) {
  if (::fnmatch(pattern.c_str(), key.c_str(), 0) == 0) return true;
  size_t slash = key.rfind('/');
  if (slash == std::string::npos) return false;
  std::string base = key.substr(slash + 1);
  return ::fnmatch(pattern.c_str(), base.c_str(), 0) == 0;
}

std::string ContentTypeForKey(std::string_view key) {
  static const std::map<std::string, std::string> kTypes = {
      {".png", "image/png"},   {".json", "application/json"},
      {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},
      {".webp", "image/webp"}, {".txt", "text/plain; charset=utf-8"},
      {".html", "text/html"},  {".log", "text/plain; charset=utf-8"},
  };
  size_t dot = key.rfind('.');
  size_t slash = key.rfind('/');
  if (dot != std::string_view::npos &&
      (slash == std::string_view::npos || dot > slash)) {
    auto it = kTypes.find(absl::AsciiStrToLower(std::string(key.substr(dot))));
    if (it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

absl::StatusOr<MirrorStats> Mirror(ObjectStore& src, ObjectStore& dst,
                                   const MirrorOptions& o) {
  MirrorStats stats;
  absl::StatusOr<std::vector<ObjectInfo>> src_list = src.List(o.prefix);
  if (!src_list.ok()) return Context(src_list.status(), "listing", src);

  for (const std::string& pattern : o.once_when) {
    bool found = std::any_of(
        src_list->begin(), src_list->end(),
        [&](const ObjectInfo& i) { return MatchesPattern(pattern, i.key); });
    if (!found) stats.waiting_for.push_back(pattern);
  }
  if (!stats.ready()) return stats;

  absl::StatusOr<std::vector<ObjectInfo>> dst_list = dst.List(o.prefix);
  if (!dst_list.ok()) return Context(dst_list.status(), "listing", dst);
  std::map<std::string, const ObjectInfo*> in_dst;
  for (const ObjectInfo& d : *dst_list) in_dst[d.key] = &d;

  // Plan, then copy in commit order.
  std::vector<ObjectInfo> to_copy;
  std::map<std::string, std::string> reasons;
  std::set<std::string> in_src;
  for (const ObjectInfo& s : *src_list) {
    in_src.insert(s.key);
    if (IsExcluded(o, s.key)) {
      ++stats.excluded;
      continue;
    }
    auto it = in_dst.find(s.key);
    std::string reason =
        CopyReason(src, dst, s, it == in_dst.end() ? nullptr : it->second);
    if (reason.empty()) {
      ++stats.skipped;
      continue;
    }
    reasons[s.key] = reason;
    to_copy.push_back(s);
  }
  CommitOrder(to_copy, /*records_first=*/false);

  for (const ObjectInfo& s : to_copy) {
    MirrorAction action{MirrorAction::Kind::kCopy, s.key, s.size,
                        reasons[s.key]};
    if (!o.dry_run) {
      absl::StatusOr<std::string> data = src.Get(s.key);
      if (absl::IsNotFound(data.status())) {
        // Deleted since the listing (a worker's temp output): nothing to copy.
        EBB_LOG_DEBUG("mirror: {} vanished from {} before the copy", s.key,
                      src.Describe());
        continue;
      }
      if (!data.ok()) return Context(data.status(), "reading", src, s.key);
      absl::Status put = dst.Put(s.key, *data, ContentTypeForKey(s.key));
      if (!put.ok()) return Context(put, "writing", dst, s.key);
      action.bytes = static_cast<int64_t>(data->size());
    }
    EBB_LOG_DEBUG("mirror: copied {} ({} bytes, {})", s.key, action.bytes,
                  action.reason);
    ++stats.copied;
    stats.bytes += action.bytes;
    stats.actions.push_back(std::move(action));
  }

  if (o.remove) {
    std::vector<ObjectInfo> to_remove;
    for (const ObjectInfo& d : *dst_list) {
      if (!in_src.count(d.key) && !IsExcluded(o, d.key)) {
        to_remove.push_back(d);
      }
    }
    // Records go first, so no record outlives its images.
    CommitOrder(to_remove, /*records_first=*/true);
    for (const ObjectInfo& d : to_remove) {
      if (!o.dry_run) {
        absl::Status del = dst.Delete(d.key);
        if (!del.ok()) return Context(del, "deleting from", dst, d.key);
      }
      EBB_LOG_DEBUG("mirror: removed {}", d.key);
      ++stats.removed;
      stats.actions.push_back(
          MirrorAction{MirrorAction::Kind::kRemove, d.key, 0, "gone"});
    }
  }
  return stats;
}

bool SleepUnlessStopped(absl::Duration d, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  if (d <= absl::ZeroDuration()) return true;
  d = std::min(d, absl::Hours(24));
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, stop, absl::ToChronoNanoseconds(d), [] { return false; });
  return !stop.stop_requested();
}

absl::StatusOr<MirrorStats> MirrorLoop(ObjectStore& src, ObjectStore& dst,
                                       const MirrorOptions& options,
                                       const MirrorLoopOptions& loop,
                                       std::stop_token stop) {
  MirrorOptions o = options;
  MirrorStats total;
  bool any_ok = false;  // a pass (waiting or not) has succeeded
  std::vector<std::string> waiting = o.once_when;
  while (true) {
    absl::StatusOr<MirrorStats> pass = Mirror(src, dst, o);
    if (!pass.ok()) {
      if (!any_ok || !loop.watch) return pass.status();
      if (loop.on_error) {
        loop.on_error(pass.status());
      } else {
        EBB_LOG_WARN("mirror pass failed, retrying in {}: {}",
                     absl::FormatDuration(loop.interval),
                     pass.status().ToString());
      }
    } else {
      any_ok = true;
      waiting = pass->waiting_for;
      if (pass->ready()) {
        o.once_when.clear();  // the condition held once; it stays met
        total += *pass;
        if (loop.on_pass) loop.on_pass(*pass);
        if (!loop.watch) return total;
      }
    }
    if (!SleepUnlessStopped(loop.interval, stop)) break;
  }
  if (!waiting.empty() && !o.once_when.empty()) {
    return absl::CancelledError(absl::StrCat(
        "stopped while waiting for ", src.Describe(),
        " to hold objects matching: ", absl::StrJoin(waiting, ", ")));
  }
  return total;
}

}  // namespace ebb::storage
