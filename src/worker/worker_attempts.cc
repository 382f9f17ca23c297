// SPDX-License-Identifier: Apache-2.0
// Worker: counting attempts before the body is parsed, giving up at the limit,
// retries with backoff and dead letters (worker.h steps 1-2; attempts.h).
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "queue/dead_letters.h"
#include "worker/attempts.h"
#include "worker/worker.h"

namespace ebb::worker {

using queue::Delivery;

absl::StatusOr<std::optional<Worker::Outcome>> Worker::HandleAttempts(
    const Delivery& d, int* attempts_made, absl::Time taken_at) {
  const AttemptCount count = CountAttempts(d);
  *attempts_made = count.made;
  const std::string id_hint =
      d.message_id.empty() ? std::string("(no message_id)") : d.message_id;

  // 1. Its earlier holder died: count that now, before the body can kill
  // this worker too, by handing it back with the new count.
  if (count.died > 0 && count.made < options_.attempt_limit) {
    EBB_RETURN_IF_ERROR(Retry(d, count.made, count.last_error));
    EBB_LOG_WARN(
        "worker {}: message {} was redelivered ({}); counted as attempt {} of "
        "{} and requeued",
        options_.worker_name, id_hint, count.last_error, count.made,
        options_.attempt_limit);
    ++stats_.redelivered;
    return std::optional<Outcome>(Outcome::kNotATask);
  }
  if (count.made < options_.attempt_limit) return std::optional<Outcome>();

  // 2. Out of attempts. The id comes from message_id, else from the body read
  // within the JSON limits (SalvageTask refuses anything deeper).
  Task task = SalvageTask(d.body);
  if (ValidateTaskId(d.message_id).ok()) task.id = d.message_id;
  if (!task.id.empty()) {
    absl::StatusOr<std::string> existing = store_.Get(RecordKey(task.id));
    if (existing.ok() && IsDoneRecord(*existing)) {
      EBB_LOG_INFO("worker {}: request {} already done; acking the duplicate",
                   options_.worker_name, task.id);
      EBB_RETURN_IF_ERROR(Annotate(mq_.Ack(d), "while acking a duplicate"));
      ++stats_.done;
      ++stats_.already_done;
      return std::optional<Outcome>(Outcome::kTask);
    }
  }
  const std::string last_error =
      count.last_error.empty() ? "attempt limit reached" : count.last_error;
  EBB_ASSIGN_OR_RETURN(
      Outcome out,
      FailForGood(d, NewRecord(task, d, count.made, taken_at),
                  absl::StrCat("gave up after ", count.made,
                               " attempt(s); last error: ", last_error)));
  return std::optional<Outcome>(out);
}

absl::Status Worker::Retry(const Delivery& d, int attempts_made,
                           const std::string& error) {
  auto headers = d.headers;
  headers[queue::kHeaderAttempt] = absl::StrCat(attempts_made);
  headers[queue::kHeaderLastError] = error;
  return Republish(d, d.body, d.message_id, std::move(headers),
                   RetryDelay(attempts_made, options_.retry_backoff,
                              options_.retry_backoff_max));
}

absl::Status Worker::DeadLetterAt(const Delivery& d, int attempt,
                                  const std::string& reason) {
  Delivery copy = d;
  copy.headers[queue::kHeaderAttempt] = absl::StrCat(attempt);
  return queue::DeadLetter(mq_, copy, options_.dead_letter_queue, reason);
}

}  // namespace ebb::worker
