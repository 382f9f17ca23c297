// SPDX-License-Identifier: Apache-2.0
#include "storage/testing/in_memory_object_store.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace ebb::storage {

absl::Status InMemoryObjectStore::Put(const std::string& key,
                                      std::string_view data,
                                      const std::string& content_type) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  objects_[key] = Object{std::string(data), content_type, clock_->Now()};
  put_log_.push_back(key);
  return absl::OkStatus();
}

absl::StatusOr<std::string> InMemoryObjectStore::Get(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return absl::NotFoundError(absl::StrCat("object ", key, " not found"));
  }
  return it->second.data;
}

absl::StatusOr<ObjectInfo> InMemoryObjectStore::Head(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return absl::NotFoundError(absl::StrCat("object ", key, " not found"));
  }
  return ObjectInfo{key, static_cast<int64_t>(it->second.data.size()),
                    it->second.modified, ContentEtag(it->second.data)};
}

absl::StatusOr<std::vector<ObjectInfo>> InMemoryObjectStore::List(
    const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(
        ObjectInfo{it->first, static_cast<int64_t>(it->second.data.size()),
                   it->second.modified, ContentEtag(it->second.data)});
  }
  return out;
}

absl::Status InMemoryObjectStore::Delete(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(key);
  return absl::OkStatus();
}

std::vector<std::string> InMemoryObjectStore::PutLog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return put_log_;
}

std::string InMemoryObjectStore::ContentType(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? "" : it->second.content_type;
}

std::vector<std::string> InMemoryObjectStore::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [key, obj] : objects_) keys.push_back(key);
  return keys;
}

void FlakyObjectStore::FailNextPuts(int n, absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  next_status_ = std::move(status);
}

void FlakyObjectStore::FailPutsContaining(std::string fragment,
                                          absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_fragment_ = std::move(fragment);
  fragment_status_ = std::move(status);
}

int FlakyObjectStore::injected_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

absl::Status FlakyObjectStore::Put(const std::string& key,
                                   std::string_view data,
                                   const std::string& content_type) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      ++injected_;
      return next_status_;
    }
    if (!fail_fragment_.empty() && absl::StrContains(key, fail_fragment_)) {
      ++injected_;
      return fragment_status_;
    }
  }
  return base_.Put(key, data, content_type);
}

}  // namespace ebb::storage
