// SPDX-License-Identifier: Apache-2.0
//
// File: queue/http/retry.h
//
// How HttpMessageQueue rides out an outage of the `ebb up` it talks to (a
// crash and restart, a slow restart): calls that could not reach ebb at all
// (connection refused or reset, a timeout) are retried with capped exponential
// backoff and jitter until the outage has lasted `give_up_after`. Answers from
// ebb (4xx, 5xx) are never retried: they are not an outage.
//
// Thread-compatible value types.
#ifndef EBB_QUEUE_HTTP_RETRY_H_
#define EBB_QUEUE_HTTP_RETRY_H_

#include <cstdint>
#include <random>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ebb::queue {

struct RetryPolicy {
  // First wait after a failed call; doubles after each failure.
  absl::Duration initial_delay = absl::Milliseconds(500);
  // Cap of one wait. Keep it well under the embedded queue's restart lease
  // grace (60 s), so a held lease is renewed in time after a restart.
  absl::Duration max_delay = absl::Seconds(10);
  // Retry until the outage has lasted this long (then the call fails with
  // Unavailable). Zero: no retries (a single attempt, the default for CLI
  // commands, which should fail fast).
  absl::Duration give_up_after = absl::ZeroDuration();
};

// The worker's policy: 0.5 s doubling to 10 s, for up to 15 minutes, each
// overridable by the environment (for tests and operators):
//   EBB_QUEUE_RETRY_INITIAL_MS, EBB_QUEUE_RETRY_MAX_DELAY_MS (milliseconds),
//   EBB_QUEUE_RETRY_FOR_S (seconds; 0 = no retries).
// InvalidArgument naming the variable when one is not a non-negative integer.
absl::StatusOr<RetryPolicy> WorkerRetryPolicyFromEnv();

// The waits of one outage: Next() returns initial_delay, then doubles up to
// max_delay, each with +-20% jitter (so workers that lost ebb together do not
// come back in lockstep).
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  absl::Duration Next();

 private:
  RetryPolicy policy_;
  absl::Duration current_;
  std::mt19937_64 rng_;
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_HTTP_RETRY_H_
