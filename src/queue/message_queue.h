// SPDX-License-Identifier: Apache-2.0
//
// File: queue/message_queue.h
//
// MessageQueue: the broker seen by ebb's producers (`ebb submit`, the API) and
// by `ebb worker`. Implementations: rabbitmq/ (AMQP 0-9-1 through rabbitmq-c)
// and, later, embedded/.
//
// Delivery contract (DESIGN.md): at-least-once. Publish returns OK only after
// the broker confirmed the message (publisher confirms) and the message is
// persistent. A taken message stays owned by this consumer until Ack or Nack;
// if the connection dies first, the broker redelivers it
// (Delivery::redelivered).
//
// Queues: a queue that exists is used as it is (never redeclared with other
// arguments); a missing queue is declared durable.
//
// Threading: one MessageQueue is one connection and channel; use it from one
// thread at a time.
#ifndef EBB_QUEUE_MESSAGE_QUEUE_H_
#define EBB_QUEUE_MESSAGE_QUEUE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ebb::queue {

// Header names ebb reads and writes (AMQP table entries, string or integer
// values).
inline constexpr char kHeaderEnqueuedAtMs[] =
    "x-ebb-enqueued-at-ms";                                // int64, Unix ms
inline constexpr char kHeaderAttempt[] = "x-ebb-attempt";  // attempts so far
inline constexpr char kHeaderLastError[] = "x-ebb-last-error";
inline constexpr char kHeaderDeadReason[] = "x-ebb-dead-reason";
inline constexpr char kHeaderOriginalQueue[] = "x-ebb-original-queue";
// Earlier deliveries of this very message that were not acked (their holder
// died or handed it back), set by the broker on redelivery: RabbitMQ's quorum
// queues and ebb's embedded queue set it; classic queues only set the
// Delivery::redelivered flag. Read-only for ebb: never published.
inline constexpr char kHeaderDeliveryCount[] = "x-delivery-count";

struct OutgoingMessage {
  std::string body;
  std::string message_id;  // AMQP message_id; "" = none
  std::string content_type = "application/json";
  // Header values are sent as strings, except kHeaderEnqueuedAtMs and
  // kHeaderAttempt which are sent as 64-bit integers when they parse as such.
  std::map<std::string, std::string> headers;
  // > 0: the message becomes ready only after this delay (a retry with
  // backoff). RabbitMQ: parked in "<queue>.delay.<ms>", a queue whose
  // x-message-ttl dead-letters it back to `queue`; the embedded queue: a
  // not-before time on the row. A delayed message is not counted in Depth
  // (nothing to scale for yet). Rounded to milliseconds.
  absl::Duration delay = absl::ZeroDuration();
};

struct Delivery {
  uint64_t delivery_tag = 0;
  std::string queue;
  std::string body;
  std::string message_id;
  std::map<std::string, std::string>
      headers;  // every value rendered as a string
  bool redelivered = false;
};

struct QueueDepth {
  int64_t ready = 0;  // waiting to be taken
  int64_t consumers = 0;
};

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;

  // Publishes one persistent message to `queue` (declared durable if missing)
  // and waits for the broker's confirm. Unavailable when the broker cannot be
  // reached or did not confirm within the timeout; the message may then or may
  // not exist.
  virtual absl::Status Publish(const std::string& queue,
                               const OutgoingMessage& msg) = 0;

  // Takes the next message from `queue` with prefetch 1 and manual ack, waiting
  // at most `timeout`. nullopt when none arrived in time.
  virtual absl::StatusOr<std::optional<Delivery>> Take(
      const std::string& queue, absl::Duration timeout) = 0;

  // Acknowledges a taken message: the broker forgets it.
  virtual absl::Status Ack(const Delivery& d) = 0;
  // Rejects a taken message; with requeue it becomes ready again.
  virtual absl::Status Nack(const Delivery& d, bool requeue) = 0;

  // Ready messages of `queue` (AMQP passive declare: excludes unacked).
  // NotFound when the queue does not exist.
  virtual absl::StatusOr<QueueDepth> Depth(const std::string& queue) = 0;

  // Up to `max` messages of `queue` without consuming them (they are returned
  // to the queue in their order before this returns). For `ebb dlq list`.
  virtual absl::StatusOr<std::vector<Delivery>> Browse(const std::string& queue,
                                                       int max) = 0;

  // Takes one ready message without a consumer (basic.get), or nullopt when the
  // queue is empty. The caller must Ack or Nack it.
  virtual absl::StatusOr<std::optional<Delivery>> Get(
      const std::string& queue) = 0;
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_MESSAGE_QUEUE_H_
