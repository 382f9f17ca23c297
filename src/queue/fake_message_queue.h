// SPDX-License-Identifier: Apache-2.0
//
// File: queue/fake_message_queue.h
//
// FakeMessageQueue: an in-memory broker behind the MessageQueue interface, for
// unit tests of producers and workers. It keeps the real broker's delivery
// semantics that ebb relies on:
//
//  - Publish auto-declares a missing queue (durable) and stores the message;
//    headers are kept as strings (what a consumer sees from the real broker).
//  - Take/Get move a ready message to "unacked" under a fresh delivery tag;
//    Ack forgets it, Nack(requeue) puts it back at the head with
//    redelivered=true, Nack(!requeue) drops it.
//  - SimulateConnectionLoss() returns every unacked message to the head of its
//    queue (in delivery order) with redelivered=true, and invalidates the old
//    delivery tags, as a dropped AMQP connection does.
//  - Take on a missing queue declares it (as the real implementation does);
//    Depth, Browse and Get on a missing queue return NotFound.
//  - Ack/Nack of an unknown (or already settled) tag is FailedPrecondition.
//
// Error injection: FailNextPublish / FailNext(op, status) make the next call(s)
// of an operation return an error without side effects; SetUnavailable(true)
// makes every call return Unavailable (broker down) until cleared.
//
// Threading: thread-safe. Take blocks (up to its timeout) until another thread
// publishes or requeues a message.
#ifndef EBB_QUEUE_FAKE_MESSAGE_QUEUE_H_
#define EBB_QUEUE_FAKE_MESSAGE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "queue/message_queue.h"

namespace ebb::queue {

class FakeMessageQueue : public MessageQueue {
 public:
  // Operations whose next call(s) can be made to fail.
  enum class Op { kPublish, kTake, kAck, kNack, kDepth, kBrowse, kGet };

  FakeMessageQueue() = default;
  ~FakeMessageQueue() override = default;
  FakeMessageQueue(const FakeMessageQueue&) = delete;
  FakeMessageQueue& operator=(const FakeMessageQueue&) = delete;

  // MessageQueue (see the interface and the file comment).
  absl::Status Publish(const std::string& queue,
                       const OutgoingMessage& msg) override;
  absl::StatusOr<std::optional<Delivery>> Take(const std::string& queue,
                                               absl::Duration timeout) override;
  absl::Status Ack(const Delivery& d) override;
  absl::Status Nack(const Delivery& d, bool requeue) override;
  absl::StatusOr<QueueDepth> Depth(const std::string& queue) override;
  absl::StatusOr<std::vector<Delivery>> Browse(const std::string& queue,
                                               int max) override;
  absl::StatusOr<std::optional<Delivery>> Get(
      const std::string& queue) override;

  // --- Test controls ---

  // Declares `queue` if missing (as a foreign producer would; `durable` is only
  // recorded). An existing queue is left as it is.
  void DeclareQueue(const std::string& queue, bool durable = true);
  bool QueueExists(const std::string& queue) const;
  // Whether the queue was declared durable; false for a missing queue.
  bool IsDurable(const std::string& queue) const;

  // Every unacked message becomes ready again (redelivered=true), at the head
  // of its queue in delivery order; their delivery tags become invalid.
  void SimulateConnectionLoss();

  // The next `times` calls of `op` return `status` and change nothing.
  void FailNext(Op op, absl::Status status, int times = 1);
  // Shorthand: the next Publish returns `status` (default Unavailable).
  void FailNextPublish(
      absl::Status status = absl::UnavailableError("injected publish failure"));
  // While true every call returns Unavailable("broker down").
  void SetUnavailable(bool unavailable);

  // Inspection.
  int64_t ReadyCount(const std::string& queue) const;
  int64_t UnackedCount(const std::string& queue) const;
  // Ready messages of `queue` in order (delivery_tag 0).
  std::vector<Delivery> ReadyMessages(const std::string& queue) const;
  // Successful Publish calls to `queue` since construction.
  int64_t PublishedCount(const std::string& queue) const;

 private:
  struct Message {
    std::string body;
    std::string message_id;
    std::string content_type;
    std::map<std::string, std::string> headers;
    bool redelivered = false;
  };
  struct QueueState {
    std::deque<Message> ready;
    bool durable = true;
    bool consumed = false;  // Take was called on it: counts one consumer
    int64_t published = 0;
  };
  struct Unacked {
    std::string queue;
    Message message;
  };

  // Returns the error to inject for `op`, or OK. Consumes one injection.
  absl::Status CheckInjected(Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the head of `q` to unacked and returns it as a Delivery.
  Delivery TakeHead(const std::string& name, QueueState& q)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static Delivery ToDelivery(const std::string& queue, const Message& m,
                             uint64_t tag);

  mutable absl::Mutex mu_;
  std::map<std::string, QueueState> queues_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Unacked> unacked_ ABSL_GUARDED_BY(mu_);
  uint64_t next_tag_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<Op, std::deque<absl::Status>> injected_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_FAKE_MESSAGE_QUEUE_H_
