// SPDX-License-Identifier: Apache-2.0
//
// File: queue/http/http_message_queue.h
//
// A MessageQueue over ebb's HTTP API (docs/api.md "Embedded queue"): how `ebb
// worker` reaches the embedded queue of an `ebb up`, on this machine or
// another.
//
// While a delivery is held (between Take and Ack/Nack), a background thread
// renews its lease every lease/3, so a long inference is never handed to a
// second worker; if this process dies, renewals stop and the lease expires: the
// message is redelivered.
//
// Outages: with a RetryPolicy (retry.h), a call that cannot reach ebb at all
// is retried with capped exponential backoff until the outage has lasted
// give_up_after, so a worker rides out a restart of `ebb up`: Take keeps
// waiting, and Ack, Nack, Publish and Get are sent once ebb is back (their
// held leases are kept for them: embedded_queue.h "restart grace"). Renewals
// keep being attempted meanwhile. Depth and Browse never retry. A retried
// Publish may have been committed by the failed attempt (a duplicate copy;
// at-least-once). A retried Ack of an ack that was committed is answered OK
// by ebb.
//
// Threading: thread-compatible like every MessageQueue (one thread at a time);
// the renewal thread is internal; Interrupt is thread-safe.
#ifndef EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_
#define EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "queue/http/retry.h"
#include "queue/message_queue.h"

namespace httplib {
class Client;
}

namespace ebb::queue {

struct HttpQueueOptions {
  std::string base_url;  // "http://127.0.0.1:8080"
  std::string token;     // bearer token; never logged
  absl::Duration lease = absl::Seconds(60);
  absl::Duration request_timeout =
      absl::Seconds(30);  // besides a Take's own wait
  // Default: no retries (fail fast, for CLI commands). `ebb worker` passes
  // WorkerRetryPolicyFromEnv().
  RetryPolicy retry;
};

class HttpMessageQueue : public MessageQueue {
 public:
  // Checks the URL; does not connect. InvalidArgument for a malformed URL.
  static absl::StatusOr<std::unique_ptr<HttpMessageQueue>> Create(
      HttpQueueOptions options);

  // Stops renewing; held leases then expire on the server (redelivery).
  ~HttpMessageQueue() override;
  HttpMessageQueue(const HttpMessageQueue&) = delete;
  HttpMessageQueue& operator=(const HttpMessageQueue&) = delete;

  // MessageQueue. Errors: Unavailable naming the URL when ebb cannot be
  // reached (or answers 503), PermissionDenied for a refused token, NotFound,
  // FailedPrecondition (an expired lease), InvalidArgument (400).
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

  // Deliveries whose lease is being renewed (taken and not yet settled).
  size_t HeldCount() const;

  // For a stop (SIGTERM): from now on Take returns nullopt instead of waiting
  // out an outage (a Take in progress returns within its current poll, at
  // most a second for the worker's slices), and no new Take poll is started
  // past the first. Ack, Nack and Publish still retry: a stored result should
  // still be acked. Thread-safe, idempotent.
  void Interrupt();

 private:
  struct Reply {
    int status = 0;
    std::string body;
  };
  explicit HttpMessageQueue(HttpQueueOptions options);

  // POST (json non-empty) or GET on `client`; maps transport errors and
  // 401/404/409/400/503 to a Status. 2xx replies are returned. *unreachable
  // (when given) tells whether ebb could not be reached at all.
  absl::StatusOr<Reply> Call(httplib::Client& client, const std::string& method,
                             const std::string& path, const std::string& json,
                             absl::Duration read_timeout,
                             bool* unreachable = nullptr);
  // Call on client_, retried per options_.retry while ebb is unreachable.
  // With `interruptible`, Interrupt() ends the waiting: Cancelled.
  absl::StatusOr<Reply> CallRetrying(const std::string& method,
                                     const std::string& path,
                                     const std::string& json,
                                     absl::Duration read_timeout,
                                     bool interruptible);
  // Waits `d` unless (interruptible and) Interrupt() was called: false then.
  bool Pause(absl::Duration d, bool interruptible);
  bool interrupted() const;
  absl::StatusOr<std::optional<Delivery>> TakeOnce(const std::string& path,
                                                   const std::string& queue,
                                                   const std::string& json,
                                                   absl::Duration wait);
  void Hold(const Delivery& d);
  void Release(uint64_t tag);
  void RenewLoop();

  HttpQueueOptions options_;
  std::string masked_url_;
  std::unique_ptr<httplib::Client> client_;        // the caller's thread
  std::unique_ptr<httplib::Client> renew_client_;  // the renewal thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::string> held_;  // tag -> queue; guarded by mu_
  bool stopping_ = false;                 // guarded by mu_
  bool interrupted_ = false;              // guarded by mu_
  std::thread renewer_;
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_
