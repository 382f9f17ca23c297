// SPDX-License-Identifier: Apache-2.0
//
// File: queue/http/http_message_queue.h
//
// A MessageQueue over ebb's HTTP API (docs/api.md "Embedded queue"): how `ebb worker`
// reaches the embedded queue of an `ebb up`, on this machine or another.
//
// While a delivery is held (between Take and Ack/Nack), a background thread renews
// its lease every lease/3, so a long inference is never handed to a second worker;
// if this process dies, renewals stop and the lease expires: the message is
// redelivered.
//
// Threading: thread-compatible like every MessageQueue (one thread at a time); the
// renewal thread is internal.
#ifndef EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_
#define EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "queue/message_queue.h"

namespace ebb::queue {

struct HttpQueueOptions {
  std::string base_url;  // "http://127.0.0.1:8080"
  std::string token;     // bearer token; never logged
  absl::Duration lease = absl::Seconds(60);
  absl::Duration request_timeout = absl::Seconds(30);  // besides a Take's own wait
};

class HttpMessageQueue : public MessageQueue {
 public:
  // Checks the URL; does not connect. InvalidArgument for a malformed URL.
  static absl::StatusOr<std::unique_ptr<HttpMessageQueue>> Create(HttpQueueOptions options);
};

}  // namespace ebb::queue

#endif  // EBB_QUEUE_HTTP_HTTP_MESSAGE_QUEUE_H_
