// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/testing/fake_api_store.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ebb::executors::kubernetes::testing {
namespace {

std::map<std::string, std::string> Labels(const Json& o) {
  std::map<std::string, std::string> out;
  const Json* l = nullptr;
  if (o.contains("metadata") && o["metadata"].contains("labels")) {
    l = &o["metadata"]["labels"];
  }
  if (l == nullptr || !l->is_object()) return out;
  for (auto it = l->begin(); it != l->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string Str(const Json& o, const char* a, const char* b) {
  if (!o.contains(a) || !o[a].is_object() || !o[a].contains(b)) return "";
  const Json& v = o[a][b];
  return v.is_string() ? v.get<std::string>() : "";
}

// Suffix characters the API server uses for generateName (no vowels).
std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

bool OwnedBy(const Json& o, const std::string& uid) {
  if (!o.contains("metadata") || !o["metadata"].contains("ownerReferences"))
    return false;
  for (const Json& ref : o["metadata"]["ownerReferences"]) {
    if (ref.value("uid", "") == uid) return true;
  }
  return false;
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

void NormalizeSecret(Json& secret) {
  if (!secret.contains("stringData")) return;
  if (secret["stringData"].is_object()) {
    for (const auto& [k, v] : secret["stringData"].items()) {
      if (v.is_string()) {
        secret["data"][k] = absl::Base64Escape(v.get<std::string>());
      }
    }
  }
  secret.erase("stringData");
}

ResourceInfo LookupResource(const std::string& resource) {
  static const std::map<std::string, ResourceInfo> kKnown = {
      {"jobs", {"batch", "v1", "Job", true}},
      {"pods", {"", "v1", "Pod", true}},
      {"secrets", {"", "v1", "Secret"}},
      {"events", {"", "v1", "Event"}},
      {"scaledjobs", {"keda.sh", "v1alpha1", "ScaledJob", true}},
      {"triggerauthentications",
       {"keda.sh", "v1alpha1", "TriggerAuthentication", true}},
      {"clustertriggerauthentications",
       {"keda.sh", "v1alpha1", "ClusterTriggerAuthentication", true}},
      {"leases", {"coordination.k8s.io", "v1", "Lease"}},
  };
  auto it = kKnown.find(resource);
  if (it != kKnown.end()) return it->second;
  std::string kind = resource;
  if (!kind.empty() && kind.back() == 's') kind.pop_back();
  if (!kind.empty()) kind[0] = absl::ascii_toupper(kind[0]);
  return {"", "v1", kind};
}

FakeApiStore::FakeApiStore(size_t history_limit, bool graceful_pod_deletion)
    : history_limit_(history_limit),
      graceful_pod_deletion_(graceful_pod_deletion) {}

FakeApiStore::Key FakeApiStore::MakeKey(const std::string& resource,
                                        const std::string& ns,
                                        const std::string& name) {
  return absl::StrCat(resource, "/", ns, "/", name);
}

int64_t FakeApiStore::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

Json FakeApiStore::StoreLocked(const std::string& resource,
                               const std::string& ns, Json object,
                               const std::string& type) {
  const ResourceInfo info = LookupResource(resource);
  object["apiVersion"] = info.ApiVersion();
  object["kind"] = info.kind;
  Json& meta = object["metadata"];
  meta["namespace"] = ns;
  meta["resourceVersion"] = std::to_string(++rv_);
  if (!meta.contains("uid")) {
    meta["uid"] =
        absl::StrFormat("00000000-0000-4000-8000-%012d", ++uid_counter_);
  }
  if (!meta.contains("creationTimestamp")) {
    meta["creationTimestamp"] = Rfc3339(absl::Now());
  }
  const Key key = MakeKey(resource, ns, meta.value("name", ""));
  objects_[key] = object;
  resource_of_[key] = resource;
  history_.push_back({rv_, type, resource, ns, object});
  while (history_.size() > history_limit_) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
  cv_.notify_all();
  return object;
}

absl::StatusOr<Json> FakeApiStore::Create(
    const std::string& resource, const std::string& ns, Json object,
    const std::function<void(Json&)>& defaults) {
  std::lock_guard<std::mutex> lock(mu_);
  Json& meta = object["metadata"];
  std::string name = meta.value("name", "");
  if (name.empty()) {
    const std::string prefix = meta.value("generateName", "");
    do {
      name = prefix + RandomSuffix();
    } while (objects_.count(MakeKey(resource, ns, name)) != 0);
    meta["name"] = name;
  } else if (objects_.count(MakeKey(resource, ns, name)) != 0) {
    return absl::AlreadyExistsError(name);
  }
  meta.erase("uid");
  meta.erase("resourceVersion");
  meta.erase("creationTimestamp");
  meta.erase("deletionTimestamp");
  meta["generation"] = 1;
  meta["uid"] =
      absl::StrFormat("00000000-0000-4000-8000-%012d", ++uid_counter_);
  if (defaults) defaults(object);
  return StoreLocked(resource, ns, std::move(object), "ADDED");
}

std::optional<Json> FakeApiStore::Get(const std::string& resource,
                                      const std::string& ns,
                                      const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(MakeKey(resource, ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> FakeApiStore::List(const std::string& resource,
                                     const std::string& ns,
                                     const LabelSelector& selector,
                                     int64_t* list_rv) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Json> out;
  for (const auto& [key, o] : objects_) {
    if (resource_of_.at(key) != resource) continue;
    if (!ns.empty() && Str(o, "metadata", "namespace") != ns) continue;
    if (selector.Matches(Labels(o))) out.push_back(o);
  }
  if (list_rv != nullptr) *list_rv = rv_;
  return out;
}

Json FakeApiStore::Put(const std::string& resource, const std::string& ns,
                       Json object) {
  std::lock_guard<std::mutex> lock(mu_);
  const Key key = MakeKey(resource, ns, Str(object, "metadata", "name"));
  const bool exists = objects_.count(key) != 0;
  if (exists && !object["metadata"].contains("uid")) {
    object["metadata"]["uid"] = objects_[key]["metadata"]["uid"];
  }
  return StoreLocked(resource, ns, std::move(object),
                     exists ? "MODIFIED" : "ADDED");
}

absl::StatusOr<Json> FakeApiStore::Modify(
    const std::string& resource, const std::string& ns, const std::string& name,
    const std::function<absl::StatusOr<Json>(const Json&)>& edit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(MakeKey(resource, ns, name));
  if (it == objects_.end()) return absl::NotFoundError(name);
  absl::StatusOr<Json> edited = edit(it->second);
  if (!edited.ok()) return edited.status();
  return StoreLocked(resource, ns, *std::move(edited), "MODIFIED");
}

bool FakeApiStore::Update(const std::string& resource, const std::string& ns,
                          const std::string& name,
                          const std::function<void(Json&)>& edit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(MakeKey(resource, ns, name));
  if (it == objects_.end()) return false;
  Json copy = it->second;
  edit(copy);
  StoreLocked(resource, ns, std::move(copy), "MODIFIED");
  return true;
}

void FakeApiStore::EraseLocked(const Key& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  Json last = it->second;
  const std::string resource = resource_of_[key];
  objects_.erase(it);
  resource_of_.erase(key);
  last["metadata"]["resourceVersion"] = std::to_string(++rv_);
  history_.push_back(
      {rv_, "DELETED", resource, Str(last, "metadata", "namespace"), last});
  while (history_.size() > history_limit_) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
  cv_.notify_all();
}

bool FakeApiStore::Remove(const std::string& resource, const std::string& ns,
                          const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  const Key key = MakeKey(resource, ns, name);
  if (objects_.count(key) == 0) return false;
  EraseLocked(key);
  FinishForegroundLocked();
  return true;
}

bool FakeApiStore::IsGracefulPodLocked(const std::string& resource,
                                       const Json& o) const {
  if (!graceful_pod_deletion_ || resource != "pods") return false;
  const std::string phase = Str(o, "status", "phase");
  return phase != "Succeeded" && phase != "Failed";
}

// Deletes (or, for graceful pods, marks) every dependent of `owner_uid`.
void FakeApiStore::CollectLocked(const std::string& owner_uid, bool orphan) {
  std::vector<Key> dependents;
  for (const auto& [key, o] : objects_) {
    if (OwnedBy(o, owner_uid)) dependents.push_back(key);
  }
  for (const Key& key : dependents) {
    Json o = objects_[key];
    const std::string resource = resource_of_[key];
    const std::string ns = Str(o, "metadata", "namespace");
    if (orphan) {
      o["metadata"].erase("ownerReferences");
      StoreLocked(resource, ns, std::move(o), "MODIFIED");
    } else if (IsGracefulPodLocked(resource, o)) {
      if (!o["metadata"].contains("deletionTimestamp")) {
        o["metadata"]["deletionTimestamp"] = Rfc3339(absl::Now());
        StoreLocked(resource, ns, std::move(o), "MODIFIED");
      }
    } else {
      EraseLocked(key);
    }
  }
}

// Removes foreground-deleted objects whose dependents are all gone.
void FakeApiStore::FinishForegroundLocked() {
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [key, o] : objects_) {
      const Json& fin = o["metadata"].value("finalizers", Json::array());
      if (std::find(fin.begin(), fin.end(), "foregroundDeletion") ==
          fin.end()) {
        continue;
      }
      const std::string uid = Str(o, "metadata", "uid");
      bool waiting = false;
      for (const auto& [k2, d] : objects_) waiting |= OwnedBy(d, uid);
      if (!waiting) {
        EraseLocked(key);
        changed = true;
        break;
      }
    }
  }
}

absl::StatusOr<Json> FakeApiStore::Delete(const std::string& resource,
                                          const std::string& ns,
                                          const std::string& name,
                                          const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  const Key key = MakeKey(resource, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(name);
  Json o = it->second;
  const std::string uid = Str(o, "metadata", "uid");
  if (policy == "Foreground") {
    if (!o["metadata"].contains("deletionTimestamp")) {
      o["metadata"]["deletionTimestamp"] = Rfc3339(absl::Now());
      o["metadata"]["finalizers"].push_back("foregroundDeletion");
      o = StoreLocked(resource, ns, std::move(o), "MODIFIED");
    }
    CollectLocked(uid, /*orphan=*/false);
    FinishForegroundLocked();
    return o;
  }
  if (IsGracefulPodLocked(resource, o)) {
    if (!o["metadata"].contains("deletionTimestamp")) {
      o["metadata"]["deletionTimestamp"] = Rfc3339(absl::Now());
      o = StoreLocked(resource, ns, std::move(o), "MODIFIED");
    }
    return o;
  }
  EraseLocked(key);
  CollectLocked(uid, /*orphan=*/policy == "Orphan");
  FinishForegroundLocked();
  return o;
}

absl::Status FakeApiStore::CheckWatchable(int64_t rv) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (rv < compacted_rv_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "too old resource version: ", rv, " (", compacted_rv_, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WatchEvent>> FakeApiStore::WaitEvents(
    const std::string& resource, const std::string& ns,
    const LabelSelector& selector, int64_t* after_rv, absl::Duration timeout,
    const std::function<bool()>& wake) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::vector<WatchEvent> out;
  while (true) {
    if (*after_rv < compacted_rv_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "too old resource version: ", *after_rv, " (", compacted_rv_, ")"));
    }
    for (const WatchEvent& e : history_) {
      if (e.rv <= *after_rv) continue;
      *after_rv = e.rv;
      if (e.resource != resource || (!ns.empty() && e.ns != ns)) continue;
      if (!selector.Matches(Labels(e.object))) continue;
      out.push_back(e);
    }
    if (!out.empty() || wake()) return out;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return out;
  }
}

void FakeApiStore::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

void FakeApiStore::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  history_.clear();
  compacted_rv_ = rv_;
}

}  // namespace ebb::executors::kubernetes::testing
