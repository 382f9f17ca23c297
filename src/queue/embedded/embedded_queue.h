// SPDX-License-Identifier: Apache-2.0
//
// File: queue/embedded/embedded_queue.h
//
// ebb's embedded durable queue for single-node use: SQLite in WAL mode, one file in
// the data directory, owned by `ebb up`. Workers reach it through the HTTP API
// (queue/http/, docs/api.md "Embedded queue"); the controller's `ebb-queue` scaler
// reads its depth in process.
//
// Semantics (at-least-once, as the RabbitMQ implementation):
//   - Publish is durable when it returns (the transaction committed, synchronous=FULL).
//   - Take leases the oldest ready message for a visibility timeout; an expired lease
//     makes it ready again, redelivered. Extend renews a lease.
//   - Ack removes the message from the queue for good (its row is kept as `acked` for
//     request status, pruned after a retention period).
//   - Nack with requeue makes it ready again (redelivered); without, it is dead-lettered.
//   - A message taken `max_deliveries` times without an ack is moved to the dead-letter
//     queue `<queue>.dead` with the reason, on the take that would exceed it.
//   - It survives a crash of any process at any point: an acked message never comes
//     back, an unacked one always does.
//
// Request status (docs/api.md): every message with an id is a request; its status is
// queued (ready), running (leased), done (acked), failed (dead), from the newest row
// with that id.
//
// Threading: all methods are thread-safe (one connection, serialized by a mutex;
// Take waits on a condition variable, not by polling).
#ifndef EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_
#define EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "queue/message_queue.h"

namespace ebb::queue::embedded {

struct EmbeddedQueueOptions {
  std::string path;  // SQLite file, e.g. <data_dir>/queue.db; created if missing
  absl::Duration default_lease = absl::Seconds(60);
  int max_deliveries = 5;  // takes without ack before dead-lettering
  absl::Duration acked_retention = absl::Hours(24 * 7);
  Clock* clock = Clock::Real();
};

struct DetailedDepth {
  int64_t ready = 0;
  int64_t leased = 0;
  int64_t dead = 0;  // in <queue>.dead
};

enum class RequestState { kQueued, kRunning, kDone, kFailed };
std::string RequestStateName(RequestState s);  // "queued", "running", "done", "failed"

struct RequestInfo {
  std::string id;
  std::string queue;
  RequestState state = RequestState::kQueued;
  int64_t deliveries = 0;  // takes of the newest row
  std::string body;        // the task message
  std::string error;       // dead reason / last error
  absl::Time created;      // first enqueue of this id
  absl::Time updated;
};

// What changed, for live events and controller wake-ups.
struct QueueEvent {
  enum class Kind { kPublished, kTaken, kAcked, kRequeued, kDeadLettered, kExpired };
  Kind kind;
  std::string queue;
  std::string id;  // request id ("" when the message has none)
};

class EmbeddedQueue : public MessageQueue {
 public:
  // Opens (creating) the database. Internal naming the path on failure.
  static absl::StatusOr<std::unique_ptr<EmbeddedQueue>> Open(EmbeddedQueueOptions options);

  // MessageQueue (see message_queue.h). Take uses default_lease; Browse and Get
  // work on any queue name, <queue>.dead included.
  absl::Status Publish(const std::string& queue, const OutgoingMessage& msg) override;
  absl::StatusOr<std::optional<Delivery>> Take(const std::string& queue,
                                               absl::Duration timeout) override;
  absl::Status Ack(const Delivery& d) override;
  absl::Status Nack(const Delivery& d, bool requeue) override;
  absl::StatusOr<QueueDepth> Depth(const std::string& queue) override;
  absl::StatusOr<std::vector<Delivery>> Browse(const std::string& queue, int max) override;
  absl::StatusOr<std::optional<Delivery>> Get(const std::string& queue) override;

  // Take with an explicit lease. FailedPrecondition for Ack/Nack/Extend of a tag
  // whose lease expired (the message may be with another worker now).
  absl::StatusOr<std::optional<Delivery>> Take(const std::string& queue,
                                               absl::Duration timeout, absl::Duration lease);
  absl::Status Extend(uint64_t tag, absl::Duration lease);

  absl::StatusOr<DetailedDepth> Depths(const std::string& queue);
  absl::StatusOr<RequestInfo> Request(const std::string& id);  // NotFound
  // Newest first; `state` nullopt = all.
  absl::StatusOr<std::vector<RequestInfo>> Requests(std::optional<RequestState> state,
                                                    int limit);

  // Called after each committed change, outside the lock, on the changing thread.
  // Set before use; not thread-safe to change while in use.
  void SetListener(std::function<void(const QueueEvent&)> listener);
};

}  // namespace ebb::queue::embedded

#endif  // EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_
