// SPDX-License-Identifier: Apache-2.0
//
// LeaderElector's tries against the Lease (client-go's tryAcquireOrRenew,
// release and resourcelock/leaselock.go): reads, creates and compare-and-swap
// updates, and what it observes of the record. The loop around them is in
// leader_elector.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "executors/kubernetes/client/api_error.h"
#include "executors/kubernetes/leader/leader_elector.h"
#include "executors/kubernetes/leader/lease_record.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

constexpr char kGroup[] = "coordination.k8s.io";

// 409: a stale resourceVersion on update (Conflict), or a create that lost
// (AlreadyExists).
bool IsConflict(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAborted ||
         s.code() == absl::StatusCode::kAlreadyExists;
}

const char* RbacVerbOf(const std::string& method) {
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  return "get";
}

}  // namespace

absl::StatusOr<bool> LeaderElector::TryAcquireOrRenew(
    Clock::time_point deadline) {
  const std::string now = FormatMicroTime(absl::Now());
  LeaseRecord desired;
  desired.holder_identity = options_.identity;
  desired.lease_duration_seconds = lease_duration_seconds_;
  desired.acquire_time = now;
  desired.renew_time = now;

  // 1. Fast path: the holder renews the Lease as it last wrote it.
  const LeaseRecord last = LeaseRecordOf(lease_);
  if (lease_.is_object() && last.holder_identity == options_.identity) {
    LeaseRecord renewal = desired;
    renewal.acquire_time = last.acquire_time;
    renewal.lease_transitions = last.lease_transitions;
    auto put = Call("PUT", WithLeaseRecord(lease_, renewal), deadline);
    if (put.ok()) {
      lease_ = *put;
      Observe(*put, Clock::now());
      NoteSuccess();
      return true;
    }
    if (!IsConflict(put.status()) &&
        put.status().code() != absl::StatusCode::kNotFound) {
      NoteError(put.status());
      return put.status();
    }
    // Changed or deleted by someone else: read it (slow path).
    if (IsConflict(put.status())) {
      absl::MutexLock lock(&mu_);
      ++stats_.conflicts;
    }
  }

  // 2. Read the Lease; create it when there is none.
  auto got = Call("GET", nullptr, deadline);
  if (!got.ok()) {
    if (got.status().code() != absl::StatusCode::kNotFound) {
      NoteError(got.status());
      return got.status();
    }
    auto created =
        Call("POST",
             NewLease(options_.lease_namespace, options_.lease_name, desired),
             deadline);
    if (created.ok()) {
      lease_ = *created;
      Observe(*created, Clock::now());
      NoteSuccess();
      return true;
    }
    if (IsConflict(created.status())) {  // another candidate created it
      absl::MutexLock lock(&mu_);
      ++stats_.conflicts;
      return false;
    }
    NoteError(created.status());
    return created.status();
  }
  const Clock::time_point read_at = Clock::now();
  lease_ = *got;
  Observe(*got, read_at);
  NoteSuccess();
  const LeaseRecord current = LeaseRecordOf(*got);
  const bool ours = current.holder_identity == options_.identity;
  if (!current.holder_identity.empty() && !ours &&
      read_at <
          observed_at_ + std::chrono::seconds(current.lease_duration_seconds)) {
    return false;  // held by another and not expired by our clock
  }

  // 3. Take it over (or renew it) with a compare-and-swap on the
  // resourceVersion just read.
  if (ours) {
    desired.acquire_time = current.acquire_time;
    desired.lease_transitions = current.lease_transitions;
  } else {
    desired.lease_transitions = current.lease_transitions + 1;
  }
  auto put = Call("PUT", WithLeaseRecord(*got, desired), deadline);
  if (put.ok()) {
    lease_ = *put;
    Observe(*put, Clock::now());
    return true;
  }
  if (IsConflict(put.status())) {  // another candidate wrote first
    EBB_LOG_DEBUG("{}: another candidate updated the lease first", LogPrefix());
    absl::MutexLock lock(&mu_);
    ++stats_.conflicts;
    return false;
  }
  NoteError(put.status());
  return put.status();
}

void LeaderElector::Release() {
  const LeaseRecord held = LeaseRecordOf(lease_);
  if (!lease_.is_object() || held.holder_identity != options_.identity) return;
  const std::string now = FormatMicroTime(absl::Now());
  LeaseRecord released;  // client-go's release(): no holder, 1 s
  released.lease_duration_seconds = 1;
  released.acquire_time = now;
  released.renew_time = now;
  released.lease_transitions = held.lease_transitions;
  auto put = Call("PUT", WithLeaseRecord(lease_, released),
                  Clock::now() + ToSteady(options_.renew_deadline));
  if (IsConflict(put.status())) {
    EBB_LOG_INFO(
        "{}: not released: the lease has changed since this "
        "candidate last wrote it",
        LogPrefix());
    return;
  }
  if (!put.ok()) {
    EBB_LOG_WARN(
        "{}: could not release the lease (the others take over when it "
        "expires, {} s after its last renewal): {}",
        LogPrefix(), held.lease_duration_seconds,
        std::string(put.status().message()));
    return;
  }
  lease_ = *put;
  Observe(*put, Clock::now());
  {
    absl::MutexLock lock(&mu_);
    ++stats_.releases;
  }
  EBB_LOG_INFO("{}: released the lease", LogPrefix());
}

absl::StatusOr<Json> LeaderElector::Call(const std::string& method,
                                         const Json& body,
                                         Clock::time_point deadline) {
  const absl::Duration left = absl::FromChrono(deadline - Clock::now());
  // Below a millisecond libcurl would read the timeout as "none".
  if (left < absl::Milliseconds(1)) {
    return absl::DeadlineExceededError(
        absl::StrCat("leader election: no time left to ", RbacVerbOf(method),
                     " lease ", Describe(), " before the renew deadline"));
  }
  KubeClient client(config_, std::min(left, options_.renew_deadline));
  const std::string path =
      method == "POST"
          ? LeasesPath(options_.lease_namespace)
          : LeasePath(options_.lease_namespace, options_.lease_name);
  auto answer = client.Request(method, path, body);
  if (!answer.ok()) {
    return WithRbacHint(answer.status(), RbacVerbOf(method), kGroup, "leases",
                        {"get", "create", "update"});
  }
  return answer;
}

void LeaderElector::Observe(const Json& lease, Clock::time_point at) {
  const Json spec = lease.is_object() && lease.contains("spec")
                        ? lease["spec"]
                        : Json::object();
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_at_ = at;
  }
  const std::string holder = LeaseRecordOf(lease).holder_identity;
  std::string before;
  {
    absl::MutexLock lock(&mu_);
    before = observed_holder_;
    observed_holder_ = holder;
  }
  if (holder == before || holder == options_.identity) return;
  if (holder.empty()) {
    if (before == options_.identity) return;  // our own release
    EBB_LOG_INFO("{}: no leader (the lease was released)", LogPrefix());
  } else {
    EBB_LOG_INFO("{}: leader is {}", LogPrefix(), holder);
  }
}

}  // namespace ebb::executors::kubernetes
