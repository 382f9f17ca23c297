// SPDX-License-Identifier: Apache-2.0
//
// File: queue/dead_letters.h
//
// Dead letters on top of any MessageQueue. A message that cannot be processed
// (invalid task, backoffLimit exhausted) is moved to `<queue>.dead` with the
// reason and its original queue in headers, never silently dropped.
// `ebb dlq list` browses that queue; `ebb dlq replay` moves chosen messages
// back to their original queue with the attempt counter reset.
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

// Publishes a copy of `d` (body, message_id, headers) to `dead_queue` with
// kHeaderDeadReason = `reason` and kHeaderOriginalQueue = d.queue (kept when
// the message already carries one), then acks `d`. If the publish fails, `d` is
// not acked and the error is returned (the caller should Nack). If the ack
// fails after the publish, the message may exist twice (at-least-once).
absl::Status DeadLetter(MessageQueue& mq, const Delivery& d,
                        const std::string& dead_queue,
                        const std::string& reason);

struct DeadLetterEntry {
  std::string id;  // MessageRequestId(); "" when the message has none
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

}  // namespace ebb::queue

#endif  // EBB_QUEUE_DEAD_LETTERS_H_
