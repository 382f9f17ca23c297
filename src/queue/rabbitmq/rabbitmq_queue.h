// SPDX-License-Identifier: Apache-2.0
//
// File: queue/rabbitmq/rabbitmq_queue.h
//
// RabbitMqQueue: MessageQueue over one AMQP 0-9-1 connection (rabbitmq-c 0.11).
//
//  - Publish: persistent (delivery_mode 2) through the default exchange, with
//    publisher confirms; OK only after the broker's basic.ack. basic.nack is
//    Internal; no confirm within `confirm_timeout` is Unavailable.
//  - Queues: a queue is first checked with a passive declare; an existing one
//    is used as it is (never redeclared), a missing one is declared durable.
//    Take declares a missing queue too; Depth, Browse and Get do not
//    (NotFound).
//  - Take: basic.qos(prefetch 1) and a basic.consume (manual ack), cancelled as
//    soon as it delivered the one message Take returns (see CancelConsumer), so
//    a worker never holds a second, pushed message it did not ask for.
//  - Ack/Nack: by delivery tag; a delivery taken before its channel or the
//    connection was reopened is FailedPrecondition (the broker has already
//    requeued it).
//  - Errors: a broker that cannot be reached, refuses the login or drops the
//    connection gives Unavailable whose message names the URL with its password
//    masked; the next call reconnects. A channel closed by the broker (404,
//    406, ...) is reopened on the next use; the call that hit it returns
//    NotFound / FailedPrecondition / PermissionDenied / Internal.
//  - Delayed publish (OutgoingMessage::delay > 0, a retry with backoff): the
//    message is published to "<queue>.delay.<ms>", a durable queue declared
//    with x-message-ttl = ms, x-dead-letter-exchange "" and
//    x-dead-letter-routing-key = queue, so the broker moves it back to `queue`
//    when the delay has passed; x-expires (2 * ms + 60 s, renewed by each
//    declare) removes the delay queue once it has been unused that long. One
//    queue per delay value keeps expiry in order (per-message TTLs only expire
//    at the head of a queue). `queue` is declared first if missing.
//  - Heartbeats: rabbitmq-c only services heartbeats inside library calls, and
//    a worker holds a message for minutes without calling in, so heartbeats
//    are off by default (TCP keeps the connection); set heartbeat_seconds only
//    for callers that call in more often than that.
//
// Threading: thread-compatible. One RabbitMqQueue is one connection; use it
// from one thread at a time (or guard it with a mutex). Deliveries are valid
// only with the RabbitMqQueue that returned them.
#ifndef EBB_QUEUE_RABBITMQ_RABBITMQ_QUEUE_H_
#define EBB_QUEUE_RABBITMQ_RABBITMQ_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "queue/message_queue.h"

// rabbitmq-c types, kept out of this header.
struct amqp_connection_state_t_;
struct amqp_rpc_reply_t_;
struct amqp_frame_t_;

namespace ebb::queue {

struct RabbitMqOptions {
  // amqp://user:pass@host:port/vhost; vhost "" or "/" is the default vhost.
  std::string url;
  // Shown in the RabbitMQ management UI (client property connection_name).
  std::string connection_name = "ebb";
  // AMQP heartbeat in seconds; 0 = off (see the file comment).
  int heartbeat_seconds = 0;
  // TCP connect and AMQP handshake/login limit.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Longest wait for the broker's confirm of one publish.
  absl::Duration confirm_timeout = absl::Seconds(10);
  // Longest wait for any other synchronous reply (declare, get, qos, ...).
  absl::Duration rpc_timeout = absl::Seconds(10);
};

class RabbitMqQueue : public MessageQueue {
 public:
  // Connects and logs in. InvalidArgument for a malformed URL; Unavailable
  // (URL masked) when the broker cannot be reached or refuses the login.
  static absl::StatusOr<std::unique_ptr<RabbitMqQueue>> Connect(
      const RabbitMqOptions& options);

  // Closes the connection; the broker requeues every unacked delivery.
  ~RabbitMqQueue() override;
  RabbitMqQueue(const RabbitMqQueue&) = delete;
  RabbitMqQueue& operator=(const RabbitMqQueue&) = delete;

  // MessageQueue: see the interface and the file comment.
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

  // The URL with its password masked, for logs.
  const std::string& masked_url() const { return masked_url_; }

 private:
  // Channels, one per role so that a broker-closed channel or a nack-all of
  // one role cannot disturb the others.
  enum Channel : uint16_t {
    kPublish = 1,  // confirm mode
    kConsume = 2,  // qos 1, consumers of Take
    kGet = 3,      // Get
    kBrowse = 4,   // Browse (nack-requeue all)
    kDeclare = 5,  // passive and durable declares
  };
  static constexpr int kNumChannels = 6;

  explicit RabbitMqQueue(const RabbitMqOptions& options);

  // Connection and channel management (rabbitmq_queue.cc).
  absl::Status Open();
  void DropConnection();
  absl::Status EnsureConnected();
  absl::Status EnsureChannel(uint16_t ch);
  // Converts a reply; handles channel.close / connection.close (close-ok,
  // mark for reopen) and library errors (drop the connection).
  absl::Status ReplyStatus(const amqp_rpc_reply_t_& reply,
                           const std::string& what, uint16_t ch);
  absl::Status LibraryError(int code, const std::string& what);
  // Handles a frame that arrived while waiting for something else: deliveries
  // are stashed for Take, closes are answered. Returns the close status when
  // the frame closed `watch_ch` or the connection, else OK.
  absl::Status HandleFrame(const amqp_frame_t_& frame, uint16_t watch_ch);
  uint64_t EncodeTag(uint16_t ch, uint64_t amqp_tag) const;
  absl::Status DecodeTag(uint64_t tag, uint16_t* ch, uint64_t* amqp_tag) const;

  // Queue helpers (rabbitmq_queue_ops.cc).
  absl::StatusOr<QueueDepth> PassiveDeclare(const std::string& queue);
  absl::Status EnsureQueue(const std::string& queue);
  absl::Status EnsureConsumer(const std::string& queue);
  // basic.cancel of one consumer (after it delivered the message Take returns).
  // Best effort: a failure only means the broker may push one more message,
  // which is then requeued when the channel closes.
  void CancelConsumer(const std::string& tag);
  absl::StatusOr<std::optional<Delivery>> BasicGet(uint16_t ch,
                                                   const std::string& queue);
  absl::Status WaitForConfirm(uint64_t seq);
  // Declares the delay queue of `queue` for `delay_ms` (rabbitmq_delay.cc)
  // and returns its name.
  absl::StatusOr<std::string> EnsureDelayQueue(const std::string& queue,
                                               int64_t delay_ms);

  RabbitMqOptions options_;
  std::string masked_url_;
  std::string host_, user_, password_, vhost_;
  int port_ = 5672;

  amqp_connection_state_t_* conn_ = nullptr;
  bool channel_open_[kNumChannels] = {};
  uint16_t channel_epoch_[kNumChannels] = {};
  uint16_t next_epoch_ = 1;
  uint64_t publish_seq_ = 0;  // confirm sequence on kPublish
  std::map<std::string, std::string> consumer_queue_;  // consumer tag -> queue
  std::set<std::string> consuming_;                    // queues with consumer
  std::map<std::string, std::deque<Delivery>> pending_;  // per queue
  std::set<std::string> known_queues_;  // seen to exist on this broker
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_RABBITMQ_RABBITMQ_QUEUE_H_
