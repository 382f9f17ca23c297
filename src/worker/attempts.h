// SPDX-License-Identifier: Apache-2.0
//
// File: worker/attempts.h
//
// How the worker counts attempts and spaces retries (DESIGN.md "Delivery
// guarantee": a request gets backoffLimit + 1 attempts, crashes count).
//
// Attempts are counted from what the broker and earlier workers put on the
// delivery, never from its body, so a message whose processing kills the
// worker (a parser crash, an abort in the model) still uses up its attempts:
//   - x-ebb-attempt: attempts already made and handed back by a worker (it
//     republishes a failed attempt with the count + 1, so the count is durable
//     in the message itself, on any queue type);
//   - a delivery whose earlier holder died without settling it: the broker's
//     x-delivery-count where the queue keeps one (RabbitMQ quorum queues, the
//     embedded queue), else 1 for the redelivered flag (classic queues). The
//     worker then republishes it at once with x-ebb-attempt raised by that
//     many, before looking at the body, so the next crash starts from the new
//     count.
//
// Retries are spaced by exponential backoff: after attempt n the message is
// republished with a delay of base * 2^(n-1), capped at `max`.
//
// Pure functions; thread-safe.
#ifndef EBB_WORKER_ATTEMPTS_H_
#define EBB_WORKER_ATTEMPTS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "queue/message_queue.h"

namespace ebb::worker {

struct AttemptCount {
  int made = 0;            // attempts already made, including `died`
  int died = 0;            // deliveries whose holder died without settling them
  std::string last_error;  // x-ebb-last-error, or the death note
};

// Counts the attempts made on `d` before this delivery (see the file comment).
// Header values that are not integers count as 0; the total is clamped to
// [0, 2^20].
AttemptCount CountAttempts(const queue::Delivery& d);

// The delay before the retry that follows attempt `attempt` (1-based):
// base * 2^(attempt-1), at most `max`. Zero when base is zero or negative.
absl::Duration RetryDelay(int attempt, absl::Duration base, absl::Duration max);

// Whether a failed attempt cannot succeed when retried: the request or prompt
// was refused (InvalidArgument, OutOfRange: e.g. a model that refuses a prompt
// or a size it cannot render) or asks for what this worker lacks
// (Unimplemented). Everything else (Internal, Unavailable, ...) is retried.
bool IsPermanentFailure(const absl::Status& s);

// Parses a backoff base such as "5s", "250ms" or "0" (no delay);
// InvalidArgument naming `what` for anything else or a negative value.
absl::StatusOr<absl::Duration> ParseBackoff(const std::string& what,
                                            const std::string& value);

}  // namespace ebb::worker

#endif  // EBB_WORKER_ATTEMPTS_H_
