// SPDX-License-Identifier: Apache-2.0
//
// File: queue/embedded/embedded_queue.h
//
// ebb's embedded durable queue for single-node use: SQLite in WAL mode, one
// file in the data directory, owned by `ebb up`. Workers reach it through the
// HTTP API (queue/http/, docs/api.md "Embedded queue"); the controller's
// `ebb-queue` scaler reads its depth in process.
//
// Semantics (at-least-once, as the RabbitMQ implementation):
//   - Publish is durable when it returns (the transaction committed,
//   synchronous=FULL).
//   - Take leases the oldest ready message for a visibility timeout; an expired
//   lease
//     makes it ready again, redelivered. Extend renews a lease.
//   - Ack removes the message from the queue for good (its row is kept as
//   `acked` for
//     request status, pruned after a retention period).
//   - Nack with requeue makes it ready again (redelivered); without, it is
//   dead-lettered.
//   - A message taken `max_deliveries` times without an ack is moved to the
//   dead-letter
//     queue `<queue>.dead` with the reason, on the take that would exceed it
//     (x-ebb-attempt raised by those deliveries; a message without an id gets
//     DerivedMessageId as its id).
//   - A redelivered message carries x-delivery-count = its earlier deliveries
//     without ack (as RabbitMQ's quorum queues), which the worker counts as
//     attempts before parsing the body (worker/attempts.h).
//   - Publish with OutgoingMessage::delay stores a not-before time: the
//     message is neither taken nor counted as ready (Depth; Depths counts it
//     as delayed) before it; a waiting Take wakes at that time. Browse lists
//     it.
//   - It survives a crash of any process at any point: an acked message never
//   comes
//     back, an unacked one always does.
//
// Request status (docs/api.md): every message with an id is a request; its
// status is queued (ready), running (leased), done (acked), failed (dead), from
// the newest row with that id.
//
// Threading: all methods are thread-safe (one connection, serialized by a
// mutex; Take waits on a condition variable, not by polling).
#ifndef EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_
#define EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "queue/message_queue.h"

namespace ebb::queue::embedded {

class SqliteDb;

struct EmbeddedQueueOptions {
  std::string
      path;  // SQLite file, e.g. <data_dir>/queue.db; created if missing
  absl::Duration default_lease = absl::Seconds(60);
  int max_deliveries = 5;  // takes without ack before dead-lettering
  // Restart grace: Open gives every message still leased (its holder was
  // working while the queue was closed, e.g. during a restart of `ebb up`)
  // at least this long before its lease expires, so the holder can renew it
  // and ack instead of it going to a second worker. A holder that died in the
  // meantime delays the redelivery by this much.
  absl::Duration restart_lease_grace = absl::Seconds(60);
  absl::Duration acked_retention = absl::Hours(24 * 7);
  Clock* clock = Clock::Real();
};

struct DetailedDepth {
  int64_t ready = 0;
  int64_t leased = 0;
  int64_t dead = 0;     // in <queue>.dead
  int64_t delayed = 0;  // retries waiting for their not-before time
};

enum class RequestState { kQueued, kRunning, kDone, kFailed };
std::string RequestStateName(
    RequestState s);  // "queued", "running", "done", "failed"

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
  enum class Kind {
    kPublished,
    kTaken,
    kAcked,
    kRequeued,
    kDeadLettered,
    kExpired
  };
  Kind kind;
  std::string queue;
  std::string id;  // request id ("" when the message has none)
};

class EmbeddedQueue : public MessageQueue {
 public:
  // Opens (creating) the database. Internal naming the path on failure.
  static absl::StatusOr<std::unique_ptr<EmbeddedQueue>> Open(
      EmbeddedQueueOptions options);

  // MessageQueue (see message_queue.h). Take uses default_lease; Browse and Get
  // work on any queue name, <queue>.dead included.
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

  // Take with an explicit lease. FailedPrecondition for Nack/Extend of a tag
  // whose lease expired, and for Ack of a tag whose message was taken again
  // since (it is with another worker now). Ack is idempotent (acking an
  // acked tag is OK) and accepts a tag whose lease expired while nobody took
  // the message again.
  absl::StatusOr<std::optional<Delivery>> Take(const std::string& queue,
                                               absl::Duration timeout,
                                               absl::Duration lease);
  absl::Status Extend(uint64_t tag, absl::Duration lease);

  // Zeros for a queue that does not exist yet.
  absl::StatusOr<DetailedDepth> Depths(const std::string& queue);
  absl::StatusOr<RequestInfo> Request(const std::string& id);  // NotFound
  // Newest first; `state` nullopt = all.
  absl::StatusOr<std::vector<RequestInfo>> Requests(
      std::optional<RequestState> state, int limit);

  // Called after each committed change, outside the lock, on the changing
  // thread. Set before use; not thread-safe to change while in use.
  void SetListener(std::function<void(const QueueEvent&)> listener);

  // Makes every lease that has expired by the clock ready again now (kExpired
  // events, waiting takers woken) and returns how many. A background timer
  // does this on its own at each expiry; tests with a FakeClock call it after
  // Advance(). Take sees expired leases even before they are reaped.
  absl::StatusOr<int> ReapExpiredLeases();

  // Stops the expiry timer; waiting Takes return Unavailable. No call may be in
  // flight when the queue is destroyed.
  ~EmbeddedQueue() override;
  EmbeddedQueue(const EmbeddedQueue&) = delete;
  EmbeddedQueue& operator=(const EmbeddedQueue&) = delete;

 private:
  using Events = std::vector<QueueEvent>;
  EmbeddedQueue(EmbeddedQueueOptions options, std::unique_ptr<SqliteDb> db);

  int64_t NowMs() const;
  // One take attempt in a transaction (dead-letters over-delivered messages
  // on the way). nullopt when nothing is ready. Requires mu_.
  absl::StatusOr<std::optional<Delivery>> TryTake(const std::string& queue,
                                                  absl::Duration lease,
                                                  Events& events);
  // Moves row `seq` to the dead-letter queue of `queue` with `reason` (or, in
  // a dead-letter queue, marks it dead). In the caller's transaction.
  // The earliest not-before time (clock ms) of a delayed ready message of
  // `queue`, or 0 when none waits. Requires mu_.
  absl::StatusOr<int64_t> NextNotBeforeLocked(const std::string& queue);
  absl::Status MoveToDead(int64_t seq, const std::string& queue,
                          const std::string& reason, Events& events);
  absl::Status DeclareLocked(const std::string& queue);
  absl::StatusOr<bool> QueueExistsLocked(const std::string& queue);
  absl::StatusOr<int> ReapLocked(Events& events);
  absl::Status PruneLocked();
  // Open's restart grace (EmbeddedQueueOptions::restart_lease_grace).
  absl::Status GraceHeldLeasesLocked();
  void ReaperLoop();
  // Calls the listener for each event; `lock` is released meanwhile.
  void Emit(std::unique_lock<std::mutex>& lock, Events& events);
  void NoteLease(int64_t expires_ms);  // wakes the timer for an earlier expiry

  EmbeddedQueueOptions options_;
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  std::condition_variable takers_cv_;
  std::condition_variable reaper_cv_;
  std::thread reaper_;
  bool closing_ = false;
  int64_t reaper_target_ms_ = 0;  // clock ms the timer is waiting for
  int64_t next_prune_ms_ = 0;
  std::set<std::string> known_queues_;
  std::map<std::string, int64_t> waiting_;  // Take callers per queue
  std::mt19937_64 rng_;
  std::function<void(const QueueEvent&)> listener_;
};

}  // namespace ebb::queue::embedded

#endif  // EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_H_
