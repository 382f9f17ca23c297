// SPDX-License-Identifier: Apache-2.0
//
// LeaderElector's lifecycle and loop: candidate tries, leading with its
// renew deadline, waits, callbacks, errors. The tries themselves are in
// leader_elector_lease.cc.
#include "executors/kubernetes/leader/leader_elector.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "executors/kubernetes/client/api_error.h"

namespace ebb::executors::kubernetes {
namespace {

constexpr absl::Duration kMaxAuthBackoff = absl::Seconds(30);

// `d` plus up to (kLeaderElectionJitterFactor - 1) of it, so that
// candidates started together do not keep trying in step.
absl::Duration Jittered(absl::Duration d) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> extra(
      0.0, kLeaderElectionJitterFactor - 1.0);
  return d + d * extra(rng);
}

}  // namespace

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(
    const KubeClient& client, LeaderElectionOptions options) {
  EBB_RETURN_IF_ERROR(ValidateLeaderElectionOptions(options));
  if (options.lease_namespace.empty()) {
    options.lease_namespace = client.config().namespace_;
    EBB_RETURN_IF_ERROR(ValidateLeaderElectionOptions(options));
  }
  if (options.lease_namespace.empty()) {
    return absl::InvalidArgumentError(
        "leader election: lease_namespace is empty and the Kubernetes "
        "configuration names no namespace");
  }
  if (options.identity.empty()) options.identity = DefaultLeaderIdentity();
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(client, std::move(options)));
}

LeaderElector::LeaderElector(const KubeClient& client,
                             LeaderElectionOptions options)
    : options_(std::move(options)),
      config_(client.config()),
      lease_duration_seconds_(static_cast<int64_t>(
          std::ceil(absl::ToDoubleSeconds(options_.lease_duration)))) {}

LeaderElector::~LeaderElector() { Stop(); }

LeaderElector::Clock::duration LeaderElector::ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<Clock::duration>(
      absl::ToChronoNanoseconds(d));
}

std::string LeaderElector::Describe() const {
  return absl::StrCat(options_.lease_namespace, "/", options_.lease_name);
}

std::string LeaderElector::LogPrefix() const {
  return absl::StrCat("lease ", Describe(), " (", options_.identity, ")");
}

void LeaderElector::Start(std::function<void()> on_started_leading,
                          std::function<void()> on_stopped_leading) {
  absl::MutexLock lock(&lifecycle_mu_);
  if (started_) {
    EBB_LOG_ERROR("{}: LeaderElector::Start called twice", LogPrefix());
    std::abort();
  }
  started_ = true;
  on_started_ = std::move(on_started_leading);
  on_stopped_ = std::move(on_stopped_leading);
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  absl::MutexLock lock(&lifecycle_mu_);
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    EBB_LOG_ERROR("{}: LeaderElector::Stop called from its own callback",
                  LogPrefix());
    std::abort();
  }
  thread_.join();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_ && Clock::now() < leader_until_;
}

std::string LeaderElector::CurrentLeader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

absl::Status LeaderElector::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

LeaderElectorStats LeaderElector::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool LeaderElector::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool LeaderElector::WaitUntil(Clock::time_point until) {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    const Clock::duration left = until - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::FromChrono(left));
  }
  return true;
}

void LeaderElector::SetLeading(bool leading, Clock::time_point until) {
  absl::MutexLock lock(&mu_);
  if (leading && !leading_) ++stats_.acquisitions;
  leading_ = leading;
  leader_until_ = until;
}

void LeaderElector::Run() {
  EBB_LOG_INFO("{}: trying to acquire the lease", LogPrefix());
  while (!Stopping()) {
    const Clock::time_point began = Clock::now();
    absl::StatusOr<bool> held =
        TryAcquireOrRenew(began + ToSteady(options_.renew_deadline));
    if (held.ok() && *held) {
      if (Stopping()) break;
      Lead(began);
      continue;
    }
    const absl::Duration wait = CandidateWait(held.status());
    if (WaitUntil(Clock::now() + ToSteady(wait))) break;
  }
  if (options_.release_on_stop) Release();
}

void LeaderElector::Lead(Clock::time_point since) {
  const Clock::duration renew_deadline = ToSteady(options_.renew_deadline);
  const Clock::duration retry_period = ToSteady(options_.retry_period);
  Clock::time_point deadline = since + renew_deadline;
  SetLeading(true, deadline);
  EBB_LOG_INFO("{}: became leader", LogPrefix());
  if (on_started_) on_started_();
  std::string lost;  // why leadership ended; "" = Stop()
  while (true) {
    if (WaitUntil(std::min(Clock::now() + retry_period, deadline))) break;
    const Clock::time_point began = Clock::now();
    if (deadline - began < std::chrono::milliseconds(1)) {  // no time to try
      lost = absl::StrCat(": no renewal succeeded for ",
                          absl::FormatDuration(options_.renew_deadline));
      if (absl::Status e = last_error(); !e.ok()) {
        absl::StrAppend(&lost, " (last error: ", e.message(), ")");
      }
      break;
    }
    absl::StatusOr<bool> renewed = TryAcquireOrRenew(deadline);
    if (renewed.ok() && *renewed) {
      deadline = began + renew_deadline;
      SetLeading(true, deadline);
      absl::MutexLock lock(&mu_);
      ++stats_.renewals;
      continue;
    }
    if (renewed.ok()) {
      lost = absl::StrCat(" to ", CurrentLeader());
      break;
    }
    // An error: try again every retry_period until the deadline.
  }
  SetLeading(false, Clock::now());
  if (lost.empty()) {
    EBB_LOG_INFO("{}: stopped leading", LogPrefix());
  } else {
    {
      absl::MutexLock lock(&mu_);
      ++stats_.losses;
    }
    EBB_LOG_WARN("{}: lost leadership{}", LogPrefix(), lost);
  }
  if (on_stopped_) on_stopped_();
}

void LeaderElector::NoteError(const absl::Status& error) {
  const absl::Status annotated =
      Annotate(error, absl::StrCat("leader election on lease ", Describe()));
  {
    absl::MutexLock lock(&mu_);
    last_error_ = annotated;
    ++stats_.errors;
  }
  const std::string message(annotated.message());
  if (message != logged_error_) {
    EBB_LOG_WARN("{}", message);
    logged_error_ = message;
  }
}

void LeaderElector::NoteSuccess() {
  {
    absl::MutexLock lock(&mu_);
    if (last_error_.ok()) return;
    last_error_ = absl::OkStatus();
  }
  EBB_LOG_INFO("{}: the API server answers again", LogPrefix());
  logged_error_.clear();
}

absl::Duration LeaderElector::CandidateWait(const absl::Status& result) {
  absl::Duration wait = Jittered(options_.retry_period);
  if (result.code() == absl::StatusCode::kPermissionDenied ||
      result.code() == absl::StatusCode::kUnauthenticated) {
    // Refusals do not heal by retrying: back off until someone fixes RBAC.
    auth_backoff_ =
        auth_backoff_ == absl::ZeroDuration()
            ? options_.retry_period
            : std::min(auth_backoff_ * 2,
                       std::max(kMaxAuthBackoff, options_.retry_period));
    return std::max(wait, auth_backoff_);
  }
  auth_backoff_ = absl::ZeroDuration();
  return std::max(wait, RetryAfterOf(result));
}

}  // namespace ebb::executors::kubernetes