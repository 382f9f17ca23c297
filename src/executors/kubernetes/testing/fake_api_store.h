// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/testing/fake_api_store.h
//
// The object store behind the API server double (fake_api_server.h): JSON
// objects keyed by resource, namespace and name, one global resourceVersion
// counter (as etcd's revision), `generateName`, uids, ownerReference garbage
// collection, and a bounded history of watch events. A watch from a
// resourceVersion older than the history is "too old" (410 Gone).
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_STORE_H_
#define EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_STORE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "executors/kubernetes/testing/label_selector.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes::testing {

using Json = nlohmann::json;

// apiVersion/kind of a resource ("jobs" -> batch/v1 Job); unknown plural
// names get group "" and a kind made from the name.
struct ResourceInfo {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  // The resource has a status subresource: updates of the object leave its
  // status alone, and .../status updates change nothing else.
  bool status_subresource = false;
  std::string ApiVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
};
ResourceInfo LookupResource(const std::string& resource);

struct WatchEvent {
  int64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string resource;
  std::string ns;
  Json object;
};

class FakeApiStore {
 public:
  // `history_limit`: watch events kept; `graceful_pod_deletion`: deleting a
  // pod that is not Succeeded/Failed only sets its deletionTimestamp (as a
  // kubelet would still be stopping it) until Remove() is called.
  explicit FakeApiStore(size_t history_limit = 10000,
                        bool graceful_pod_deletion = false);

  int64_t resource_version() const;

  // Assigns name (from metadata.generateName plus 5 random characters), uid,
  // resourceVersion, creationTimestamp and generation 1. AlreadyExists when
  // the name is taken (reason "AlreadyExists" on the wire).
  // `defaults` (when given) edits the object once it has its name and uid,
  // before it is stored (the server's defaulting).
  absl::StatusOr<Json> Create(
      const std::string& resource, const std::string& ns, Json object,
      const std::function<void(Json&)>& defaults = nullptr);
  std::optional<Json> Get(const std::string& resource, const std::string& ns,
                          const std::string& name) const;
  // `ns` "" = every namespace. *list_rv gets the store's resourceVersion.
  std::vector<Json> List(const std::string& resource, const std::string& ns,
                         const LabelSelector& selector,
                         int64_t* list_rv = nullptr) const;
  // Test side: creates or replaces `object` (bumps its resourceVersion and
  // records ADDED or MODIFIED). Returns the stored object.
  Json Put(const std::string& resource, const std::string& ns, Json object);
  // The API's update and patch: replaces the object with what `edit` makes
  // of the stored one, atomically. NotFound when absent; `edit`'s error is
  // returned as it is. Returns the stored object.
  absl::StatusOr<Json> Modify(
      const std::string& resource, const std::string& ns,
      const std::string& name,
      const std::function<absl::StatusOr<Json>(const Json&)>& edit);
  // Test side: edits an object in place. False when absent.
  bool Update(const std::string& resource, const std::string& ns,
              const std::string& name, const std::function<void(Json&)>& edit);
  // Removes an object at once (no finalizers, no graceful period), then
  // finishes foreground deletions waiting on it. False when absent.
  bool Remove(const std::string& resource, const std::string& ns,
              const std::string& name);
  // The API's delete. `policy`: "Background" (default when ""), "Foreground"
  // or "Orphan". Background deletes the object then its dependents
  // (ownerReferences); Foreground sets deletionTimestamp and the
  // foregroundDeletion finalizer and removes the object once its dependents
  // are gone. NotFound when absent. Returns the object as last seen.
  absl::StatusOr<Json> Delete(const std::string& resource,
                              const std::string& ns, const std::string& name,
                              const std::string& policy);

  // Gone (a 410 to send as an ERROR watch event) when events after `rv` are
  // no longer all kept.
  absl::Status CheckWatchable(int64_t rv) const;
  // Waits until there are events after `after_rv` matching resource/ns/
  // selector, `wake()` returns true, or `timeout` passes; returns the
  // matching events (possibly none) and moves *after_rv past every event
  // looked at. FailedPrecondition ("too old resource version") when events
  // after *after_rv were dropped from the history meanwhile.
  absl::StatusOr<std::vector<WatchEvent>> WaitEvents(
      const std::string& resource, const std::string& ns,
      const LabelSelector& selector, int64_t* after_rv, absl::Duration timeout,
      const std::function<bool()>& wake);
  // Wakes every WaitEvents (after a drop or a bookmark request).
  void Notify();
  // Forgets the event history: watches from older resourceVersions get 410.
  void Compact();

 private:
  using Key = std::string;  // resource/ns/name
  static Key MakeKey(const std::string& resource, const std::string& ns,
                     const std::string& name);
  // Stores `object` under a new resourceVersion and records `type`.
  Json StoreLocked(const std::string& resource, const std::string& ns,
                   Json object, const std::string& type);
  void EraseLocked(const Key& key);
  void CollectLocked(const std::string& owner_uid, bool orphan);
  void FinishForegroundLocked();
  bool IsGracefulPodLocked(const std::string& resource, const Json& o) const;

  const size_t history_limit_;
  const bool graceful_pod_deletion_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t rv_ = 1;
  int64_t compacted_rv_ = 0;  // events at or below this are forgotten
  uint64_t uid_counter_ = 0;
  std::map<Key, Json> objects_;
  std::map<Key, std::string> resource_of_;  // key -> resource
  std::deque<WatchEvent> history_;
};

// "2024-01-02T03:04:05Z" for `t`.
std::string Rfc3339(absl::Time t);

// What the API server does to a Secret it stores: `stringData` is write-only,
// merged (base64-encoded) into `data`, where it wins.
void NormalizeSecret(Json& secret);

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_TESTING_FAKE_API_STORE_H_
