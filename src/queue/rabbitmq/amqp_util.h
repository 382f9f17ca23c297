// SPDX-License-Identifier: Apache-2.0
//
// File: queue/rabbitmq/amqp_util.h
//
// Internal helpers of RabbitMqQueue around rabbitmq-c 0.11: URL parsing, AMQP
// header tables, and turning library/server replies into absl::Status. Pure
// functions; thread-safe. Not part of the public API.
#ifndef EBB_QUEUE_RABBITMQ_AMQP_UTIL_H_
#define EBB_QUEUE_RABBITMQ_AMQP_UTIL_H_

#include <amqp.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ebb::queue::amqp {

struct ParsedUrl {
  std::string host;
  int port = 5672;
  std::string user;
  std::string password;
  std::string vhost;  // "/" for the default vhost
};

// Parses amqp://user:pass@host:port/vhost with amqp_parse_url. A vhost of ""
// or "/" is the default vhost "/". InvalidArgument (URL masked) when malformed;
// amqps:// is refused (no TLS support yet).
absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url);

// Owns the storage an amqp_table_t points into. Values of kHeaderEnqueuedAtMs,
// kHeaderAttempt and the queue arguments x-message-ttl and x-expires that
// parse as int64 are encoded as I64, others as UTF-8 strings.
class OutgoingTable {
 public:
  explicit OutgoingTable(const std::map<std::string, std::string>& headers);
  OutgoingTable(const OutgoingTable&) = delete;
  OutgoingTable& operator=(const OutgoingTable&) = delete;
  amqp_table_t table();

 private:
  std::vector<std::string> strings_;  // keys and values, stable
  std::vector<amqp_table_entry_t> entries_;
};

// Renders every entry of `table` as a string (integers in decimal, booleans
// as "true"/"false"); nested tables and arrays are skipped.
std::map<std::string, std::string> RenderTable(const amqp_table_t& table);

// Copies an amqp_bytes_t into a std::string ("" for a null buffer).
std::string ToString(amqp_bytes_t bytes);

// timeval for a non-negative duration (negative is treated as zero).
struct timeval TimevalFor(absl::Duration d);

}  // namespace ebb::queue::amqp

#endif  // EBB_QUEUE_RABBITMQ_AMQP_UTIL_H_
