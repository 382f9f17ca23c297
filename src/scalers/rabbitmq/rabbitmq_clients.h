// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/rabbitmq/rabbitmq_clients.h
//
// The two transports of the rabbitmq scaler (§3.2), internal to
// ebb_scalers_rabbitmq. Neither is thread-safe; each belongs to one Scaler.
// Every error message is masked with the metadata's secrets.
#ifndef EBB_SCALERS_RABBITMQ_RABBITMQ_CLIENTS_H_
#define EBB_SCALERS_RABBITMQ_RABBITMQ_CLIENTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "scalers/rabbitmq/rabbitmq_scaler.h"

namespace ebb::scalers {

// One long-lived AMQP connection and channel (KEDA opens them when the scaler
// is built). Each ReadyCount is a passive queue.declare.
class AmqpQueueClient {
 public:
  // Connects and opens channel 1 (with connection_name when set). Unavailable
  // when the broker cannot be reached; PermissionDenied for refused
  // credentials/vhost; InvalidArgument for a malformed URL.
  static absl::StatusOr<std::unique_ptr<AmqpQueueClient>> Connect(
      const RabbitMqMetadata& meta);
  ~AmqpQueueClient();
  AmqpQueueClient(const AmqpQueueClient&) = delete;
  AmqpQueueClient& operator=(const AmqpQueueClient&) = delete;

  // The queue's ready count (declare-ok excludes unacknowledged messages).
  // NotFound when the queue does not exist (the broker closed the channel;
  // the next call reopens it). Other failures drop the connection; the next
  // call reconnects.
  absl::StatusOr<int64_t> ReadyCount(const std::string& queue);

 private:
  explicit AmqpQueueClient(const RabbitMqMetadata& meta);
  absl::Status Open();
  void Close();  // graceful close
  void Drop();   // no handshake, for a broken connection
  absl::Status Masked(absl::StatusCode code, const std::string& msg) const;

  RabbitMqMetadata meta_;
  struct State;
  std::unique_ptr<State> state_;
};

// GET of the management API queue resource; returns the body on 200. Non-200
// is an error carrying the status and the masked body (404 NotFound, 401/403
// PermissionDenied, else Unavailable).
absl::StatusOr<std::string> ManagementGet(const RabbitMqMetadata& meta,
                                          const RabbitMqHttpRequest& request);

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_RABBITMQ_RABBITMQ_CLIENTS_H_
