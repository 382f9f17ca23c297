// SPDX-License-Identifier: Apache-2.0
//
// RabbitMqQueue: the MessageQueue operations.
#include <amqp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status.h"
#include "queue/rabbitmq/amqp_util.h"
#include "queue/rabbitmq/rabbitmq_queue.h"

namespace ebb::queue {
namespace {

amqp_bytes_t Bytes(const std::string& s) {
  amqp_bytes_t b;
  b.len = s.size();
  b.bytes = const_cast<char*>(s.data());
  return b;
}

void FillFromMessage(const amqp_message_t& msg, Delivery& d) {
  d.body = amqp::ToString(msg.body);
  if (msg.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    d.message_id = amqp::ToString(msg.properties.message_id);
  }
  if (msg.properties._flags & AMQP_BASIC_HEADERS_FLAG) {
    d.headers = amqp::RenderTable(msg.properties.headers);
  }
}

}  // namespace

absl::StatusOr<QueueDepth> RabbitMqQueue::PassiveDeclare(
    const std::string& queue) {
  if (queue.empty()) return absl::InvalidArgumentError("empty queue name");
  EBB_RETURN_IF_ERROR(EnsureChannel(kDeclare));
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(
      conn_, kDeclare, Bytes(queue), /*passive=*/1,
      /*durable=*/0, /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  absl::Status s = ReplyStatus(amqp_get_rpc_reply(conn_),
                               absl::StrCat("queue '", queue, "'"), kDeclare);
  if (!s.ok()) return s;
  QueueDepth depth;
  depth.ready = ok->message_count;
  depth.consumers = ok->consumer_count;
  return depth;
}

absl::Status RabbitMqQueue::EnsureQueue(const std::string& queue) {
  absl::StatusOr<QueueDepth> exists = PassiveDeclare(queue);
  if (exists.ok() || !absl::IsNotFound(exists.status())) {
    return exists.status();
  }
  // The 404 closed kDeclare; EnsureChannel reopens it.
  EBB_RETURN_IF_ERROR(EnsureChannel(kDeclare));
  amqp_queue_declare(conn_, kDeclare, Bytes(queue), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0,
                     amqp_empty_table);
  absl::Status s =
      ReplyStatus(amqp_get_rpc_reply(conn_),
                  absl::StrCat("declare queue '", queue, "'"), kDeclare);
  if (absl::IsFailedPrecondition(s)) {
    // Declared meanwhile by someone else with other arguments: use theirs.
    return PassiveDeclare(queue).status();
  }
  if (s.ok()) EBB_LOG_INFO("declared missing queue {} (durable)", queue);
  return s;
}

absl::Status RabbitMqQueue::EnsureConsumer(const std::string& queue) {
  EBB_RETURN_IF_ERROR(EnsureChannel(kConsume));
  if (consuming_.count(queue) != 0) return absl::OkStatus();
  EBB_RETURN_IF_ERROR(EnsureQueue(queue));
  EBB_RETURN_IF_ERROR(EnsureChannel(kConsume));
  amqp_basic_consume_ok_t* ok = amqp_basic_consume(
      conn_, kConsume, Bytes(queue), amqp_empty_bytes, /*no_local=*/0,
      /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  EBB_RETURN_IF_ERROR(ReplyStatus(amqp_get_rpc_reply(conn_),
                                  absl::StrCat("consume '", queue, "'"),
                                  kConsume));
  consumer_queue_[amqp::ToString(ok->consumer_tag)] = queue;
  consuming_.insert(queue);
  return absl::OkStatus();
}

void RabbitMqQueue::CancelConsumer(const std::string& tag) {
  auto it = consumer_queue_.find(tag);
  if (it == consumer_queue_.end()) return;
  consuming_.erase(it->second);
  consumer_queue_.erase(it);
  amqp_basic_cancel(conn_, kConsume, Bytes(tag));
  absl::Status s =
      ReplyStatus(amqp_get_rpc_reply(conn_), "cancel consumer", kConsume);
  if (!s.ok()) EBB_LOG_DEBUG("cancelling consumer {}: {}", tag, s.ToString());
}

absl::Status RabbitMqQueue::WaitForConfirm(uint64_t seq) {
  const absl::Time deadline = absl::Now() + options_.confirm_timeout;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    struct timeval tv = amqp::TimevalFor(left);
    amqp_frame_t frame;
    const int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) {
      return LibraryError(rc, "waiting for a publisher confirm");
    }
    if (frame.frame_type == AMQP_FRAME_METHOD && frame.channel == kPublish) {
      const amqp_method_number_t id = frame.payload.method.id;
      if (id == AMQP_BASIC_ACK_METHOD || id == AMQP_BASIC_NACK_METHOD) {
        uint64_t tag;
        bool multiple;
        if (id == AMQP_BASIC_ACK_METHOD) {
          auto* m =
              static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
          tag = m->delivery_tag;
          multiple = m->multiple != 0;
        } else {
          auto* m =
              static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
          tag = m->delivery_tag;
          multiple = m->multiple != 0;
        }
        if (tag == seq || (multiple && tag > seq)) {
          if (id == AMQP_BASIC_ACK_METHOD) return absl::OkStatus();
          return absl::InternalError(
              "the broker rejected (nacked) the message");
        }
        continue;  // a late confirm of an earlier, timed-out publish
      }
    }
    EBB_RETURN_IF_ERROR(HandleFrame(frame, kPublish));
  }
  return absl::UnavailableError(
      absl::StrCat("no publisher confirm from ", masked_url_, " within ",
                   absl::FormatDuration(options_.confirm_timeout),
                   "; the message may or may not be queued"));
}

absl::Status RabbitMqQueue::Publish(const std::string& queue_name,
                                    const OutgoingMessage& msg) {
  std::string queue = queue_name;
  EBB_RETURN_IF_ERROR(EnsureQueue(queue));
  if (const int64_t ms = absl::ToInt64Milliseconds(msg.delay); ms > 0) {
    EBB_ASSIGN_OR_RETURN(queue, EnsureDelayQueue(queue_name, ms));
  }
  EBB_RETURN_IF_ERROR(EnsureChannel(kPublish));
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props.delivery_mode = 2;  // persistent
  if (!msg.content_type.empty()) {
    props._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.content_type = Bytes(msg.content_type);
  }
  if (!msg.message_id.empty()) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    props.message_id = Bytes(msg.message_id);
  }
  amqp::OutgoingTable headers(msg.headers);
  props.headers = headers.table();
  const int rc = amqp_basic_publish(
      conn_, kPublish, amqp_empty_bytes, Bytes(queue),
      /*mandatory=*/0, /*immediate=*/0, &props, Bytes(msg.body));
  if (rc != AMQP_STATUS_OK) {
    return LibraryError(rc, absl::StrCat("publish to '", queue, "'"));
  }
  return WaitForConfirm(++publish_seq_);
}

absl::StatusOr<std::optional<Delivery>> RabbitMqQueue::Take(
    const std::string& queue, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    EBB_RETURN_IF_ERROR(EnsureConsumer(queue));
    std::deque<Delivery>& waiting = pending_[queue];
    if (!waiting.empty()) {
      Delivery d = std::move(waiting.front());
      waiting.pop_front();
      return std::optional<Delivery>(std::move(d));
    }
    amqp_maybe_release_buffers(conn_);
    struct timeval tv = amqp::TimevalFor(deadline - absl::Now());
    amqp_envelope_t env;
    amqp_rpc_reply_t r = amqp_consume_message(conn_, &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
      Delivery d;
      d.delivery_tag = EncodeTag(env.channel, env.delivery_tag);
      d.redelivered = env.redelivered != 0;
      FillFromMessage(env.message, d);
      const std::string tag = amqp::ToString(env.consumer_tag);
      auto it = consumer_queue_.find(tag);
      amqp_destroy_envelope(&env);
      if (it == consumer_queue_.end()) continue;  // from a closed consumer
      d.queue = it->second;
      if (d.queue == queue) {
        // Hold exactly one message: cancel the consumer before returning, so
        // the broker pushes nothing more to this connection. Otherwise, after
        // our ack, the next message would be pushed to a job-mode worker about
        // to exit and come back `redelivered`, charging it an attempt it never
        // had. With prefetch 1 and `d` unacked, nothing else is in flight to
        // this consumer.
        CancelConsumer(tag);
        return std::optional<Delivery>(std::move(d));
      }
      pending_[d.queue].push_back(std::move(d));
      continue;
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_TIMEOUT) {
      return std::optional<Delivery>();
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      amqp_frame_t frame;  // put back by amqp_consume_message
      const int rc = amqp_simple_wait_frame(conn_, &frame);
      if (rc != AMQP_STATUS_OK) return LibraryError(rc, "taking a message");
      EBB_RETURN_IF_ERROR(HandleFrame(frame, kConsume));
      continue;
    }
    return ReplyStatus(r, absl::StrCat("take from '", queue, "'"), kConsume);
  }
}

absl::Status RabbitMqQueue::Ack(const Delivery& d) {
  uint16_t ch;
  uint64_t tag;
  EBB_RETURN_IF_ERROR(DecodeTag(d.delivery_tag, &ch, &tag));
  const int rc = amqp_basic_ack(conn_, ch, tag, /*multiple=*/0);
  if (rc != AMQP_STATUS_OK) return LibraryError(rc, "ack");
  return absl::OkStatus();
}

absl::Status RabbitMqQueue::Nack(const Delivery& d, bool requeue) {
  uint16_t ch;
  uint64_t tag;
  EBB_RETURN_IF_ERROR(DecodeTag(d.delivery_tag, &ch, &tag));
  const int rc =
      amqp_basic_nack(conn_, ch, tag, /*multiple=*/0, requeue ? 1 : 0);
  if (rc != AMQP_STATUS_OK) return LibraryError(rc, "nack");
  return absl::OkStatus();
}

absl::StatusOr<QueueDepth> RabbitMqQueue::Depth(const std::string& queue) {
  return PassiveDeclare(queue);
}

absl::StatusOr<std::optional<Delivery>> RabbitMqQueue::BasicGet(
    uint16_t ch, const std::string& queue) {
  EBB_RETURN_IF_ERROR(EnsureChannel(ch));
  amqp_rpc_reply_t r = amqp_basic_get(conn_, ch, Bytes(queue), /*no_ack=*/0);
  EBB_RETURN_IF_ERROR(
      ReplyStatus(r, absl::StrCat("get from '", queue, "'"), ch));
  if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
    return std::optional<Delivery>();
  }
  auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
  Delivery d;
  d.queue = queue;
  d.delivery_tag = EncodeTag(ch, ok->delivery_tag);
  d.redelivered = ok->redelivered != 0;
  amqp_message_t msg;
  EBB_RETURN_IF_ERROR(ReplyStatus(amqp_read_message(conn_, ch, &msg, 0),
                                  "reading a message", ch));
  FillFromMessage(msg, d);
  amqp_destroy_message(&msg);
  return std::optional<Delivery>(std::move(d));
}

absl::StatusOr<std::optional<Delivery>> RabbitMqQueue::Get(
    const std::string& queue) {
  // Checked on kDeclare so that a missing queue does not close kGet (which may
  // hold other unacked messages).
  EBB_RETURN_IF_ERROR(PassiveDeclare(queue).status());
  return BasicGet(kGet, queue);
}

absl::StatusOr<std::vector<Delivery>> RabbitMqQueue::Browse(
    const std::string& queue, int max) {
  EBB_RETURN_IF_ERROR(PassiveDeclare(queue).status());
  std::vector<Delivery> out;
  uint64_t last_tag = 0;
  absl::Status status;
  while (static_cast<int>(out.size()) < max) {
    absl::StatusOr<std::optional<Delivery>> got = BasicGet(kBrowse, queue);
    if (!got.ok()) {
      status = got.status();
      break;
    }
    if (!got->has_value()) break;
    last_tag = (*got)->delivery_tag;
    (*got)->delivery_tag = 0;  // not ackable: Browse returns them
    out.push_back(std::move(**got));
  }
  if (last_tag != 0 && channel_open_[kBrowse]) {
    uint16_t ch;
    uint64_t tag;
    if (DecodeTag(last_tag, &ch, &tag).ok()) {
      // One nack for all: the broker requeues them at their old positions.
      const int rc = amqp_basic_nack(conn_, kBrowse, tag, /*multiple=*/1,
                                     /*requeue=*/1);
      if (rc != AMQP_STATUS_OK && status.ok()) {
        status = LibraryError(rc, "returning browsed messages");
      }
    }
  }
  // On a channel or connection error the broker requeued them already.
  if (!status.ok()) return status;
  return out;
}

}  // namespace ebb::queue
