// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/informer.h
//
// A list + watch cache of one kind of object (client-go's reflector and
// store, reduced): a background thread lists once, then watches from the
// list's resourceVersion with bookmarks, applying ADDED / MODIFIED / DELETED
// to an in-memory map. It reconnects where it left off when a watch ends or
// drops, and relists only when the server says the resourceVersion is too
// old (410 Gone). Reading the cache costs no API call, so a steady state
// costs none.
//
// Failure: errors back off (200 ms doubling to 30 s; at least 5 s for 401 /
// 403, which do not heal by retrying; at least a 429's Retry-After) and each
// new error is logged once. health() is an error — so the executor fails
// closed — until the first list succeeds, while a needed relist keeps
// failing, or when the watch has been down longer than `max_staleness`.
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_KUBERNETES_INFORMER_H_
#define EBB_EXECUTORS_KUBERNETES_INFORMER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "executors/kubernetes/client/kube_client.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

struct InformerOptions {
  // Collection path: "/apis/batch/v1/namespaces/NS/jobs", "/api/v1/pods".
  std::string path;
  std::string label_selector;  // "" = every object
  // For messages: "list jobs.batch in namespace \"ns\"" is built from these.
  std::string resource;                             // "jobs.batch", "pods"
  std::string namespace_;                           // "" = all namespaces
  absl::Duration watch_timeout = absl::Minutes(5);  // asked as timeoutSeconds
  absl::Duration max_staleness = absl::Seconds(60);
  // Keeps only what readers need of each object (memory); none = all.
  std::function<nlohmann::json(const nlohmann::json&)> transform;
  // Called on the informer's thread, outside its lock, after a list
  // succeeded and after each ADDED / MODIFIED / DELETED event was applied
  // (not for bookmarks). Must be quick and thread-safe; none = not called.
  std::function<void()> on_change;
};

struct InformerStats {
  int64_t lists = 0;    // list requests, the first included
  int64_t watches = 0;  // watch requests
  int64_t relists = 0;  // lists after a 410 Gone
  int64_t events = 0;   // watch events applied (bookmarks excluded)
  int64_t bookmarks = 0;
};

class Informer {
 public:
  Informer(KubeClient* client, InformerOptions options);
  ~Informer();  // stops the thread (within about a second)
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();
  // Asks the thread to stop without waiting for it (the destructor waits):
  // stopping many informers costs one wait, not one each.
  void RequestStop();
  // Waits until the first list has succeeded or failed (or `timeout`), then
  // returns health().
  absl::Status WaitSynced(absl::Duration timeout);
  absl::Status health() const;
  // True once a list has succeeded (client-go's HasSynced); stays true.
  bool HasSynced() const;
  // Every cached object.
  std::vector<nlohmann::json> Snapshot() const;
  // Read-your-writes: puts an object the caller just created or changed
  // (kept unless the cache already has a newer resourceVersion, or the watch
  // already reported it deleted at a newer one) or removes one it deleted;
  // the watch confirms later.
  void Upsert(const nlohmann::json& object);
  void Erase(const std::string& ns, const std::string& name);
  InformerStats stats() const;
  // The resourceVersion the next watch starts from.
  std::string resource_version() const;

 private:
  void Run();
  absl::Status List();
  absl::Status WatchOnce();
  // Applies one watch event under the lock; false ends the stream (an ERROR
  // event, put in *stream_error). *changed: the cache changed.
  bool ApplyEvent(const std::string& type, const nlohmann::json& object,
                  absl::Status* stream_error, bool* changed);
  void Backoff(const absl::Status& error);
  void SetError(const absl::Status& error);
  std::string Describe(const char* verb) const;

  KubeClient* const client_;
  const InformerOptions options_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> objects_;  // "ns/name" -> object
  // "ns/name" -> resourceVersion of its DELETED event (the newest
  // kMaxTombstones), so that a late Upsert of an older copy (a foreground
  // delete's answer arriving after the watch's DELETED) is not resurrected.
  std::map<std::string, int64_t> tombstones_;
  std::string rv_;
  bool list_done_ = false;  // the first list finished (either way)
  bool synced_ = false;     // a list succeeded
  bool need_list_ = true;
  absl::Status list_error_;  // the last list's error
  absl::Time watch_down_since_ = absl::InfiniteFuture();
  absl::Status logged_error_;
  absl::Duration backoff_ = absl::ZeroDuration();
  InformerStats stats_;
};

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_INFORMER_H_
