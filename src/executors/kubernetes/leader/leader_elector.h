// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/leader/leader_elector.h
//
// Leader election among replicas of ebb's controller through one
// coordination.k8s.io/v1 Lease, with the semantics of client-go's
// leaderelection package (tools/leaderelection/leaderelection.go and
// resourcelock/leaselock.go): only the leader may act (create Jobs).
//
// How it runs. A background thread tries every retry_period (plus up to
// 20 % jitter): it GETs the Lease, creates it (POST) when it is missing,
// and takes it over (PUT with the resourceVersion it read) when nobody holds
// it, when the holder released it, or when the record has not changed for
// the record's leaseDurationSeconds as measured by this process's own
// monotonic clock since it last saw the record change. Remote renewTime is
// never compared with the local clock, so clock offsets between machines do
// not matter; clock RATES must be similar (client-go's assumption). Writes
// are compare-and-swap: when two candidates race, the API server answers
// one of them 409 Conflict and that one stays a candidate. The leader
// renews (PUT) every retry_period; when no renewal has succeeded for
// renew_deadline it stops leading, and goes back to being a candidate.
// Stop() stops leading and, with release_on_stop, writes holderIdentity ""
// and leaseDurationSeconds 1 so another candidate leads at its next try.
//
// Timing guarantees (L = lease_duration, D = renew_deadline, P =
// retry_period, clocks running at similar rates):
//   * A candidate takes over only after L has passed, by its own clock,
//     without it seeing the record change, or at once after a release.
//   * The leader's IsLeader() turns false D after the start of its last
//     successful try (acquire or renew), even while a request hangs, and
//     on_stopped_leading follows at once (requests are cut at that
//     deadline). A candidate's L runs from when it saw that write, which
//     is after the try began; since D < L the old leader has stopped at
//     least L - D before a new one can start: two leaders never act at
//     once. There is no fencing: an action started before the deadline may
//     still complete after it, so keep actions short next to L - D.
//   * After the leader dies the others lead within L + 2.4 * P of its last
//     renewal (they read the Lease every P to 1.2 * P); after a Stop() with
//     release, within 1.2 * P (a candidate's next try).
// L here is leaseDurationSeconds: lease_duration rounded up to seconds.
//
// Failures: API errors are retried (never in a tight loop): every P, after a
// 429's Retry-After, and for 401/403 with a delay doubling from P up to
// 30 s. A 403 carries the Role rule to add (verbs get, create, update on
// leases in coordination.k8s.io). Each distinct error is logged once, as is
// each transition ("became leader", "lost leadership to X", "leader is X").
//
// Threading: every method may be called from any thread, except that the
// callbacks run on the election thread and must not call Stop().
#ifndef EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTOR_H_
#define EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/leader/leader_election_options.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

struct LeaderElectorStats {
  int64_t acquisitions = 0;  // times this elector started leading
  int64_t renewals = 0;      // successful renewals (acquisitions excluded)
  int64_t losses = 0;        // leadership lost (deadline or another holder)
  int64_t conflicts = 0;     // 409s on create or update: another writer won
  int64_t errors = 0;        // other failed requests
  int64_t releases = 0;      // Lease given up by Stop()
};

class LeaderElector {
 public:
  // Validates `options` (ValidateLeaderElectionOptions; InvalidArgument),
  // fills in the namespace (the client's) and identity
  // (DefaultLeaderIdentity()). Talks to the API server `client` is
  // configured for (its configuration is copied; `client` need not outlive
  // the elector). Makes no request until Start().
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(
      const KubeClient& client, LeaderElectionOptions options);
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts the election thread. The callbacks (either may be empty) run on
  // that thread, never concurrently, strictly alternating and starting with
  // `on_started_leading`; each call to `on_started_leading` is followed by
  // one to `on_stopped_leading` (at the latest in Stop()). They must return
  // quickly (post work elsewhere): while one runs the Lease is not renewed.
  // When `on_stopped_leading` returns the caller must have stopped acting as
  // leader: the Lease may be released or taken over right after. Call at
  // most once (a second call aborts the process).
  void Start(std::function<void()> on_started_leading,
             std::function<void()> on_stopped_leading);
  // Ends the election: stops leading (on_stopped_leading runs first when
  // leading), then with release_on_stop releases the Lease when this elector
  // is its holder. Returns once the thread has exited: after at most the
  // request in flight and the release, each bounded by renew_deadline.
  // Idempotent; fine before Start() and from several threads.
  void Stop();

  // True from just before on_started_leading until renew_deadline after the
  // last successful try (acquire or renew) began, or until
  // on_stopped_leading is called, whichever is first.
  bool IsLeader() const;
  const std::string& identity() const { return options_.identity; }
  // The holderIdentity last read or written ("" = unknown or released).
  std::string CurrentLeader() const;
  // The last request's error (PermissionDenied with the Role rule for a
  // 403); OK after a success.
  absl::Status last_error() const;
  LeaderElectorStats stats() const;
  // "NAMESPACE/NAME" of the Lease, for messages.
  std::string Describe() const;
  const LeaderElectionOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  LeaderElector(const KubeClient& client, LeaderElectionOptions options);

  void Run();
  // Leads until renewal fails for renew_deadline, another holder is seen, or
  // Stop(). `since`: when the acquiring write began.
  void Lead(Clock::time_point since);
  // One try (client-go's tryAcquireOrRenew): true when this elector holds
  // the Lease afterwards, false when another holds it or won a race.
  // Requests are cut at `deadline`.
  absl::StatusOr<bool> TryAcquireOrRenew(Clock::time_point deadline);
  void Release();
  // One request; `body` null = none. DeadlineExceeded when `deadline` has
  // passed; PermissionDenied carries the RBAC hint.
  absl::StatusOr<nlohmann::json> Call(const std::string& method,
                                      const nlohmann::json& body,
                                      Clock::time_point deadline);
  // Records `lease` as read or written at `at`; logs a new holder.
  void Observe(const nlohmann::json& lease, Clock::time_point at);
  void NoteError(const absl::Status& error);
  void NoteSuccess();
  // How long a candidate waits after a try that ended with `result`.
  absl::Duration CandidateWait(const absl::Status& result);
  // Waits until `until` or Stop(); true when stopping.
  bool WaitUntil(Clock::time_point until);
  bool Stopping() const;
  static Clock::duration ToSteady(absl::Duration d);
  void SetLeading(bool leading, Clock::time_point deadline);
  std::string LogPrefix() const;

  LeaderElectionOptions options_;
  const KubeConfig config_;
  const int64_t lease_duration_seconds_;  // options_.lease_duration, rounded up
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;

  // Serializes Start/Stop (thread creation and join).
  absl::Mutex lifecycle_mu_;
  std::thread thread_ ABSL_GUARDED_BY(lifecycle_mu_);
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  // IsLeader() is false from this instant on.
  Clock::time_point leader_until_ ABSL_GUARDED_BY(mu_);
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  LeaderElectorStats stats_ ABSL_GUARDED_BY(mu_);

  // Election thread only.
  // The Lease as last read or written (null: none yet): its
  // resourceVersion makes the next PUT a compare-and-swap.
  nlohmann::json lease_;
  // The spec last seen and when it was first seen by the local clock
  // (client-go's observedRecord / observedTime).
  nlohmann::json observed_spec_;
  Clock::time_point observed_at_;
  std::string logged_error_;  // the last error logged (each logged once)
  absl::Duration auth_backoff_ = absl::ZeroDuration();
};

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTOR_H_
