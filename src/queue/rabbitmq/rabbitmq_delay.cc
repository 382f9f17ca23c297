// SPDX-License-Identifier: Apache-2.0
//
// RabbitMqQueue: the delay queues behind a delayed Publish (see the header).
#include <amqp.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "queue/rabbitmq/amqp_util.h"
#include "queue/rabbitmq/rabbitmq_queue.h"

namespace ebb::queue {

absl::StatusOr<std::string> RabbitMqQueue::EnsureDelayQueue(
    const std::string& queue, int64_t delay_ms) {
  const std::string name = absl::StrCat(queue, ".delay.", delay_ms);
  const std::map<std::string, std::string> args = {
      {"x-message-ttl", absl::StrCat(delay_ms)},
      {"x-expires", absl::StrCat(2 * delay_ms + 60'000)},
      {"x-dead-letter-exchange", ""},
      {"x-dead-letter-routing-key", queue},
  };
  amqp::OutgoingTable table(args);
  EBB_RETURN_IF_ERROR(EnsureChannel(kDeclare));
  amqp_bytes_t bytes;
  bytes.len = name.size();
  bytes.bytes = const_cast<char*>(name.data());
  // Declared every time: a redeclare renews x-expires.
  amqp_queue_declare(conn_, kDeclare, bytes, /*passive=*/0, /*durable=*/1,
                     /*exclusive=*/0, /*auto_delete=*/0, table.table());
  EBB_RETURN_IF_ERROR(
      ReplyStatus(amqp_get_rpc_reply(conn_),
                  absl::StrCat("declare delay queue '", name, "'"), kDeclare));
  return name;
}

}  // namespace ebb::queue
