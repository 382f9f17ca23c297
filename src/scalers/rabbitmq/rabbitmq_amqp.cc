// SPDX-License-Identifier: Apache-2.0
//
// AMQP transport (§3.2): rabbitmq-c 0.11, passive queue.declare per poll, as
// KEDA's QueueDeclarePassive in pkg/scalers/rabbitmq_scaler.go.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "common/status.h"
#include "scalers/rabbitmq/rabbitmq_clients.h"

namespace ebb::scalers {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kConnectTimeoutSec = 5;
constexpr int kRpcTimeoutSec = 10;

std::string BytesToString(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace

struct AmqpQueueClient::State {
  amqp_connection_state_t conn = nullptr;
  bool channel_open = false;
};

AmqpQueueClient::AmqpQueueClient(const RabbitMqMetadata& meta)
    : meta_(meta), state_(std::make_unique<State>()) {}

AmqpQueueClient::~AmqpQueueClient() { Close(); }

absl::StatusOr<std::unique_ptr<AmqpQueueClient>> AmqpQueueClient::Connect(
    const RabbitMqMetadata& meta) {
  std::unique_ptr<AmqpQueueClient> client(new AmqpQueueClient(meta));
  EBB_RETURN_IF_ERROR(client->Open());
  return client;
}

absl::Status AmqpQueueClient::Masked(absl::StatusCode code,
                                     const std::string& msg) const {
  return absl::Status(code, MaskSecrets(msg, meta_.secrets));
}

void AmqpQueueClient::Drop() {
  if (state_->conn == nullptr) return;
  amqp_destroy_connection(state_->conn);
  state_->conn = nullptr;
  state_->channel_open = false;
}

void AmqpQueueClient::Close() {
  if (state_->conn == nullptr) return;
  if (state_->channel_open) {
    amqp_channel_close(state_->conn, kChannel, AMQP_REPLY_SUCCESS);
  }
  amqp_connection_close(state_->conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_->conn);
  state_->conn = nullptr;
  state_->channel_open = false;
}

absl::Status AmqpQueueClient::Open() {
  Close();
  const std::string where = MaskSecrets(meta_.host, meta_.secrets);
  std::vector<char> buf(meta_.host.begin(), meta_.host.end());
  buf.push_back('\0');
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK) {
    return Masked(absl::StatusCode::kInvalidArgument,
                  absl::StrCat("rabbitmq: malformed AMQP URL ", where));
  }
  std::string vhost = info.vhost == nullptr ? "" : info.vhost;
  // "amqp://h/" means the default vhost, as in Go's amqp URI parser.
  if (vhost.empty()) vhost = "/";
  if (!meta_.vhost_name.empty()) vhost = meta_.vhost_name;
  std::string user = info.user, password = info.password;
  if (!meta_.username.empty()) {
    user = meta_.username;
    password = meta_.password;
  }

  state_->conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(state_->conn);
  if (socket == nullptr) {
    Drop();
    return absl::InternalError("rabbitmq: cannot create an AMQP socket");
  }
  struct timeval connect_timeout = {kConnectTimeoutSec, 0};
  int rc =
      amqp_socket_open_noblock(socket, info.host, info.port, &connect_timeout);
  if (rc != AMQP_STATUS_OK) {
    Drop();
    return Masked(absl::StatusCode::kUnavailable,
                  absl::StrCat("rabbitmq: cannot connect to ", where, ": ",
                               amqp_error_string2(rc)));
  }
  struct timeval rpc_timeout = {kRpcTimeoutSec, 0};
  amqp_set_rpc_timeout(state_->conn, &rpc_timeout);

  amqp_table_entry_t entry;
  entry.key = amqp_cstring_bytes("connection_name");
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_cstring_bytes(meta_.connection_name.c_str());
  amqp_table_t props;
  props.num_entries = meta_.connection_name.empty() ? 0 : 1;
  props.entries = &entry;
  amqp_rpc_reply_t reply = amqp_login_with_properties(
      state_->conn, vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, 0, &props,
      AMQP_SASL_METHOD_PLAIN, user.c_str(), password.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    std::string detail;
    absl::StatusCode code = absl::StatusCode::kPermissionDenied;
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
      detail = absl::StrCat(m->reply_code, " ", BytesToString(m->reply_text));
    } else if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
      detail = amqp_error_string2(reply.library_error);
      // The broker drops the socket on bad credentials or vhost.
      if (reply.library_error != AMQP_STATUS_CONNECTION_CLOSED &&
          reply.library_error != AMQP_STATUS_SOCKET_CLOSED) {
        code = absl::StatusCode::kUnavailable;
      }
    }
    Drop();
    return Masked(
        code, absl::StrCat("rabbitmq: login to ", where, " (vhost \"", vhost,
                           "\", user \"", user, "\") failed: ", detail));
  }
  amqp_channel_open(state_->conn, kChannel);
  reply = amqp_get_rpc_reply(state_->conn);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    Drop();
    return Masked(absl::StatusCode::kUnavailable,
                  absl::StrCat("rabbitmq: cannot open a channel on ", where));
  }
  state_->channel_open = true;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AmqpQueueClient::ReadyCount(const std::string& queue) {
  if (state_->conn == nullptr) {
    EBB_RETURN_IF_ERROR(Open());
  } else if (!state_->channel_open) {
    amqp_channel_open(state_->conn, kChannel);
    if (amqp_get_rpc_reply(state_->conn).reply_type != AMQP_RESPONSE_NORMAL) {
      EBB_RETURN_IF_ERROR(Open());
    } else {
      state_->channel_open = true;
    }
  }
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(
      state_->conn, kChannel, amqp_cstring_bytes(queue.c_str()),
      /*passive=*/1, /*durable=*/0, /*exclusive=*/0, /*auto_delete=*/0,
      amqp_empty_table);
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_->conn);
  if (ok != nullptr && reply.reply_type == AMQP_RESPONSE_NORMAL) {
    const int64_t count = ok->message_count;
    amqp_maybe_release_buffers(state_->conn);
    return count;
  }
  const std::string where = MaskSecrets(meta_.host, meta_.secrets);
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    const int code = m->reply_code;
    const std::string text = BytesToString(m->reply_text);
    amqp_channel_close_ok_t close_ok;
    amqp_send_method(state_->conn, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD,
                     &close_ok);
    state_->channel_open = false;
    amqp_maybe_release_buffers(state_->conn);
    return Masked(code == AMQP_NOT_FOUND ? absl::StatusCode::kNotFound
                                         : absl::StatusCode::kUnavailable,
                  absl::StrCat("rabbitmq: queue \"", queue, "\" on ", where,
                               ": ", code, " ", text));
  }
  std::string detail = "unexpected reply";
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    detail = amqp_error_string2(reply.library_error);
  } else if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
             reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
    detail = absl::StrCat(m->reply_code, " ", BytesToString(m->reply_text));
    amqp_connection_close_ok_t close_ok;
    amqp_send_method(state_->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD,
                     &close_ok);
  }
  // The connection is unusable: drop it; the next poll reconnects.
  Drop();
  return Masked(absl::StatusCode::kUnavailable,
                absl::StrCat("rabbitmq: reading queue \"", queue, "\" on ",
                             where, " failed: ", detail));
}

}  // namespace ebb::scalers
