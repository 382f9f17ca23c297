// SPDX-License-Identifier: Apache-2.0
//
// File: storage/testing/in_memory_object_store.h
//
// Test doubles for ObjectStore:
//
//  - InMemoryObjectStore: a map from key to bytes with the same key rules
//    (ValidateObjectKey) and sorting as the real stores. It also records every
//    successful Put in order, so tests can assert that a worker writes the
//    `<id>.json` record after its images.
//  - FlakyObjectStore: wraps another store and fails the next N Puts (or every
//    Put whose key contains a substring) with an injected error, leaving the
//    wrapped store untouched by the failed calls.
//
// Threading: both are safe for concurrent use.
#ifndef EBB_STORAGE_TESTING_IN_MEMORY_OBJECT_STORE_H_
#define EBB_STORAGE_TESTING_IN_MEMORY_OBJECT_STORE_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "storage/object_store.h"

namespace ebb::storage {

class InMemoryObjectStore : public ObjectStore {
 public:
  // `clock` stamps ObjectInfo::modified; it must outlive the store.
  explicit InMemoryObjectStore(Clock* clock = Clock::Real()) : clock_(clock) {}

  // ObjectStore (see the interface).
  absl::Status Put(const std::string& key, std::string_view data,
                   const std::string& content_type) override;
  absl::StatusOr<std::string> Get(const std::string& key) override;
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) override;
  absl::Status Delete(const std::string& key) override;
  std::string Describe() const override { return "memory://"; }

  // Keys of every successful Put, in call order (repeats included).
  std::vector<std::string> PutLog() const;
  // The content type given to the last Put of `key`; "" when absent.
  std::string ContentType(const std::string& key) const;
  // All keys, sorted.
  std::vector<std::string> Keys() const;

 private:
  struct Object {
    std::string data;
    std::string content_type;
    absl::Time modified;
  };
  Clock* const clock_;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
  std::vector<std::string> put_log_;       // guarded by mu_
};

class FlakyObjectStore : public ObjectStore {
 public:
  // `base` must outlive this wrapper.
  explicit FlakyObjectStore(ObjectStore& base) : base_(base) {}

  // The next `n` Puts fail with `status` without reaching the base store.
  void FailNextPuts(int n, absl::Status status =
                               absl::UnavailableError("injected put failure"));
  // Every Put whose key contains `fragment` fails ("" turns this off).
  void FailPutsContaining(
      std::string fragment,
      absl::Status status = absl::UnavailableError("injected put failure"));
  // Puts failed by injection so far.
  int injected_failures() const;

  // ObjectStore: Put as above; everything else forwards to the base store.
  absl::Status Put(const std::string& key, std::string_view data,
                   const std::string& content_type) override;
  absl::StatusOr<std::string> Get(const std::string& key) override {
    return base_.Get(key);
  }
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override {
    return base_.Head(key);
  }
  absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) override {
    return base_.List(prefix);
  }
  absl::Status Delete(const std::string& key) override {
    return base_.Delete(key);
  }
  std::string Describe() const override { return "flaky+" + base_.Describe(); }

 private:
  ObjectStore& base_;
  mutable std::mutex mu_;
  int fail_next_ = 0;             // guarded by mu_
  absl::Status next_status_;      // guarded by mu_
  std::string fail_fragment_;     // guarded by mu_
  absl::Status fragment_status_;  // guarded by mu_
  int injected_ = 0;              // guarded by mu_
};

}  // namespace ebb::storage

#endif  // EBB_STORAGE_TESTING_IN_MEMORY_OBJECT_STORE_H_
