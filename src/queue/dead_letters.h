// SPDX-License-Identifier: Apache-2.0
//
// File: queue/dead_letters.h
//
// Dead letters on top of any MessageQueue. A message that cannot be processed
// (invalid task, backoffLimit exhausted) is moved to `<queue>.dead` with the
// reason and its original queue in headers, never silently dropped.
// `ebb dlq list` browses that queue; `ebb dlq replay` moves chosen messages
// back to their original queue with the attempt counter reset; `ebb dlq
// discard` / `purge` removes chosen ones / all of them for good.
//
// Threading: as the MessageQueue passed in (one thread at a time).
#ifndef EBB_QUEUE_DEAD_LETTERS_H_
#define EBB_QUEUE_DEAD_LETTERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "queue/message_queue.h"

namespace ebb::queue {

// "<queue>.dead".
std::string DeadLetterQueueName(const std::string& queue);

// The request id of a message: its AMQP message_id, else the "id" field of a
// JSON object body, else "".
std::string MessageRequestId(const std::string& message_id,
                             const std::string& body);

// Removes the headers a broker sets on delivery (x-delivery-count, x-death,
// x-first-death-*, x-last-death-*) from a copy about to be published again:
// they describe the old message, and RabbitMQ expects x-death as an array, not
// the string a Delivery renders it as.
void StripBrokerHeaders(std::map<std::string, std::string>& headers);

// An id for a message that has none: "msg-" and 16 hex digits of a stable
// hash of the body, so every redelivery of the same bytes gets the same one.
// Passes the task id rule (worker/task.h).
std::string DerivedMessageId(const std::string& body);

// The id a dead letter is listed, replayed and discarded by:
// MessageRequestId(), else DerivedMessageId(body). Never "".
std::string DeadLetterId(const std::string& message_id,
                         const std::string& body);

// Publishes a copy of `d` (body, message_id, headers) to `dead_queue` with
// kHeaderDeadReason = `reason` and kHeaderOriginalQueue = d.queue (kept when
// the message already carries one), then acks `d`. A message without a request
// id gets message_id = DerivedMessageId(body) on the copy. If the publish
// fails, `d` is not acked and the error is returned (the caller should Nack).
// If the ack fails after the publish, the message may exist twice
// (at-least-once).
absl::Status DeadLetter(MessageQueue& mq, const Delivery& d,
                        const std::string& dead_queue,
                        const std::string& reason);

struct DeadLetterEntry {
  std::string id;  // DeadLetterId()
  std::string reason;
  std::string original_queue;
  int64_t attempt = 0;  // kHeaderAttempt, 0 when absent or not a number
  std::string body;
  std::map<std::string, std::string> headers;
};

// Up to `max` dead letters of `dead_queue`, oldest first, left in the queue.
// A missing dead queue has no entries (OK, empty).
absl::StatusOr<std::vector<DeadLetterEntry>> ListDeadLetters(
    MessageQueue& mq, const std::string& dead_queue, int max);

// Moves the dead letters whose id is in `ids` (all when `ids` is empty) back to
// their original queue, with kHeaderAttempt reset to "0" and the dead-letter
// headers removed, and returns how many were moved. Looks at the messages ready
// when it starts (at most that many); the others stay in `dead_queue` (their
// order may change and they are marked redelivered). Messages without an
// original queue header are left in place. On error the messages not yet
// moved are returned to `dead_queue`; each one already moved is in its original
// queue (at-least-once: a failed ack may leave a copy in both).
absl::StatusOr<int> ReplayDeadLetters(MessageQueue& mq,
                                      const std::string& dead_queue,
                                      const std::vector<std::string>& ids);

// Removes the dead letters whose id (DeadLetterId) is in `ids` (all when
// `ids` is empty: a purge) from `dead_queue` for good and returns how many
// were removed. Like ReplayDeadLetters, it looks only at the messages ready
// when it starts; the others stay (marked redelivered). On error the messages
// not yet removed are returned to `dead_queue`. A missing dead queue: 0.
absl::StatusOr<int> DiscardDeadLetters(MessageQueue& mq,
                                       const std::string& dead_queue,
                                       const std::vector<std::string>& ids);

}  // namespace ebb::queue

#endif  // EBB_QUEUE_DEAD_LETTERS_H_
