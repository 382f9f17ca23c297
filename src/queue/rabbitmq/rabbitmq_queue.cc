// SPDX-License-Identifier: Apache-2.0
//
// RabbitMqQueue: connection, channels and reply handling. The MessageQueue
// operations are in rabbitmq_queue_ops.cc.
#include "queue/rabbitmq/rabbitmq_queue.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/status.h"
#include "queue/rabbitmq/amqp_util.h"

namespace ebb::queue {
namespace {

// Delivery tags handed out encode the channel (8 bits) and the channel's epoch
// (16 bits) above the broker's tag (40 bits), so that a tag from a channel
// since reopened is recognised as stale.
constexpr int kEpochShift = 40;
constexpr int kChannelShift = 56;
constexpr uint64_t kAmqpTagMask = (uint64_t{1} << kEpochShift) - 1;

absl::Status ServerCodeToStatus(int code, const std::string& text) {
  switch (code) {
    case AMQP_NOT_FOUND:
      return absl::NotFoundError(text);
    case AMQP_PRECONDITION_FAILED:
      return absl::FailedPreconditionError(text);
    case AMQP_ACCESS_REFUSED:
      return absl::PermissionDeniedError(text);
    default:
      return absl::InternalError(text);
  }
}

}  // namespace

RabbitMqQueue::RabbitMqQueue(const RabbitMqOptions& options)
    : options_(options), masked_url_(MaskUrlCredentials(options.url)) {}

absl::StatusOr<std::unique_ptr<RabbitMqQueue>> RabbitMqQueue::Connect(
    const RabbitMqOptions& options) {
  EBB_ASSIGN_OR_RETURN(amqp::ParsedUrl url, amqp::ParseUrl(options.url));
  std::unique_ptr<RabbitMqQueue> q(new RabbitMqQueue(options));
  q->host_ = url.host;
  q->port_ = url.port;
  q->user_ = url.user;
  q->password_ = url.password;
  q->vhost_ = url.vhost;
  EBB_RETURN_IF_ERROR(q->Open());
  return q;
}

RabbitMqQueue::~RabbitMqQueue() {
  if (conn_ == nullptr) return;
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

absl::Status RabbitMqQueue::Open() {
  conn_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (socket == nullptr) {
    DropConnection();
    return absl::ResourceExhaustedError("cannot create an AMQP socket");
  }
  struct timeval connect_tv = amqp::TimevalFor(options_.connect_timeout);
  int rc = amqp_socket_open_noblock(socket, host_.c_str(), port_, &connect_tv);
  if (rc != AMQP_STATUS_OK) {
    DropConnection();
    return absl::UnavailableError(absl::StrCat("cannot connect to AMQP broker ",
                                               masked_url_, ": ",
                                               amqp_error_string2(rc)));
  }
  amqp_set_handshake_timeout(conn_, &connect_tv);
  struct timeval rpc_tv = amqp::TimevalFor(options_.rpc_timeout);
  amqp_set_rpc_timeout(conn_, &rpc_tv);

  amqp_table_entry_t prop;
  prop.key = amqp_cstring_bytes("connection_name");
  prop.value.kind = AMQP_FIELD_KIND_UTF8;
  prop.value.value.bytes = amqp_cstring_bytes(options_.connection_name.c_str());
  amqp_table_t props;
  props.num_entries = 1;
  props.entries = &prop;
  amqp_rpc_reply_t reply = amqp_login_with_properties(
      conn_, vhost_.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
      options_.heartbeat_seconds, &props, AMQP_SASL_METHOD_PLAIN, user_.c_str(),
      password_.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    std::string why;
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
      why = amqp_error_string2(reply.library_error);
    } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
      why = absl::StrCat(m->reply_code, " ", amqp::ToString(m->reply_text));
    } else {
      why = "unexpected reply";
    }
    DropConnection();
    return absl::UnavailableError(
        absl::StrCat("AMQP login to ", masked_url_,
                     " failed: ", MaskSecrets(why, {password_})));
  }
  for (bool& open : channel_open_) open = false;
  EBB_LOG_DEBUG("connected to AMQP broker {}", masked_url_);
  return absl::OkStatus();
}

void RabbitMqQueue::DropConnection() {
  if (conn_ != nullptr) amqp_destroy_connection(conn_);
  conn_ = nullptr;
  for (int ch = 0; ch < kNumChannels; ++ch) {
    if (channel_open_[ch]) channel_epoch_[ch] = next_epoch_++;
    channel_open_[ch] = false;
  }
  consumer_queue_.clear();
  consuming_.clear();
  pending_.clear();
}

absl::Status RabbitMqQueue::EnsureConnected() {
  if (conn_ != nullptr) {
    amqp_maybe_release_buffers(conn_);
    return absl::OkStatus();
  }
  EBB_LOG_INFO("reconnecting to AMQP broker {}", masked_url_);
  return Open();
}

absl::Status RabbitMqQueue::EnsureChannel(uint16_t ch) {
  EBB_RETURN_IF_ERROR(EnsureConnected());
  if (channel_open_[ch]) return absl::OkStatus();
  amqp_channel_open(conn_, ch);
  EBB_RETURN_IF_ERROR(
      ReplyStatus(amqp_get_rpc_reply(conn_), "channel.open", ch));
  channel_open_[ch] = true;
  channel_epoch_[ch] = next_epoch_++;
  if (ch == kPublish) {
    amqp_confirm_select(conn_, ch);
    EBB_RETURN_IF_ERROR(
        ReplyStatus(amqp_get_rpc_reply(conn_), "confirm.select", ch));
    publish_seq_ = 0;
  } else if (ch == kConsume) {
    amqp_basic_qos(conn_, ch, 0, /*prefetch_count=*/1, /*global=*/0);
    EBB_RETURN_IF_ERROR(
        ReplyStatus(amqp_get_rpc_reply(conn_), "basic.qos", ch));
    consumer_queue_.clear();
    consuming_.clear();
    pending_.clear();
  }
  return absl::OkStatus();
}

absl::Status RabbitMqQueue::LibraryError(int code, const std::string& what) {
  DropConnection();
  return absl::UnavailableError(absl::StrCat(
      what, " on AMQP broker ", masked_url_, ": ", amqp_error_string2(code)));
}

absl::Status RabbitMqQueue::ReplyStatus(const amqp_rpc_reply_t& reply,
                                        const std::string& what, uint16_t ch) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return absl::OkStatus();
    case AMQP_RESPONSE_NONE:
      return LibraryError(AMQP_STATUS_UNEXPECTED_STATE, what);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return LibraryError(reply.library_error, what);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    const std::string text = absl::StrCat(what, ": ", m->reply_code, " ",
                                          amqp::ToString(m->reply_text));
    const int code = m->reply_code;
    amqp_channel_close_ok_t close_ok;
    amqp_send_method(conn_, ch, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
    channel_open_[ch] = false;
    if (ch == kConsume) {
      consumer_queue_.clear();
      consuming_.clear();
      pending_.clear();
    }
    return ServerCodeToStatus(code, text);
  }
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
    const std::string text =
        absl::StrCat(what, ": broker ", masked_url_,
                     " closed the connection: ", m->reply_code, " ",
                     amqp::ToString(m->reply_text));
    amqp_connection_close_ok_t close_ok;
    amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
    DropConnection();
    return absl::UnavailableError(text);
  }
  return LibraryError(AMQP_STATUS_UNEXPECTED_STATE, what);
}

absl::Status RabbitMqQueue::HandleFrame(const amqp_frame_t& frame,
                                        uint16_t watch_ch) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return absl::OkStatus();
  const uint16_t ch = frame.channel;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
      auto* m =
          static_cast<amqp_basic_deliver_t*>(frame.payload.method.decoded);
      Delivery d;
      d.delivery_tag = EncodeTag(ch, m->delivery_tag);
      d.redelivered = m->redelivered != 0;
      const std::string consumer_tag = amqp::ToString(m->consumer_tag);
      amqp_message_t msg;
      amqp_rpc_reply_t r = amqp_read_message(conn_, ch, &msg, 0);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        return ReplyStatus(r, "reading a delivery", ch);
      }
      d.body = amqp::ToString(msg.body);
      if (msg.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
        d.message_id = amqp::ToString(msg.properties.message_id);
      }
      if (msg.properties._flags & AMQP_BASIC_HEADERS_FLAG) {
        d.headers = amqp::RenderTable(msg.properties.headers);
      }
      amqp_destroy_message(&msg);
      auto it = consumer_queue_.find(consumer_tag);
      if (it == consumer_queue_.end()) return absl::OkStatus();  // stale
      d.queue = it->second;
      pending_[d.queue].push_back(std::move(d));
      return absl::OkStatus();
    }
    case AMQP_BASIC_CANCEL_METHOD: {  // queue deleted under a consumer
      auto* m = static_cast<amqp_basic_cancel_t*>(frame.payload.method.decoded);
      auto it = consumer_queue_.find(amqp::ToString(m->consumer_tag));
      if (it != consumer_queue_.end()) {
        EBB_LOG_WARN("broker cancelled the consumer of queue {}", it->second);
        consuming_.erase(it->second);
        known_queues_.erase(it->second);
        consumer_queue_.erase(it);
      }
      return absl::OkStatus();
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
    case AMQP_CONNECTION_CLOSE_METHOD: {
      amqp_rpc_reply_t r;
      r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
      r.reply = frame.payload.method;
      r.library_error = 0;
      absl::Status s = ReplyStatus(r, "broker closed", ch);
      const bool watched =
          frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
          ch == watch_ch;
      if (!watched) EBB_LOG_WARN("{}", std::string(s.message()));
      return watched ? s : absl::OkStatus();
    }
    default:
      return absl::OkStatus();  // late confirms and the like
  }
}

uint64_t RabbitMqQueue::EncodeTag(uint16_t ch, uint64_t amqp_tag) const {
  return (uint64_t{ch} << kChannelShift) |
         (uint64_t{channel_epoch_[ch]} << kEpochShift) |
         (amqp_tag & kAmqpTagMask);
}

absl::Status RabbitMqQueue::DecodeTag(uint64_t tag, uint16_t* ch,
                                      uint64_t* amqp_tag) const {
  *ch = static_cast<uint16_t>(tag >> kChannelShift);
  const auto epoch = static_cast<uint16_t>((tag >> kEpochShift) & 0xFFFF);
  *amqp_tag = tag & kAmqpTagMask;
  if (*ch >= kNumChannels || *amqp_tag == 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad delivery tag ", tag));
  }
  if (conn_ == nullptr || !channel_open_[*ch] || channel_epoch_[*ch] != epoch) {
    return absl::FailedPreconditionError(
        "delivery is from a closed channel or connection; the broker has "
        "requeued it");
  }
  return absl::OkStatus();
}

}  // namespace ebb::queue
