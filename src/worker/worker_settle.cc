// SPDX-License-Identifier: Apache-2.0
// Worker: settling a message whose result is stored.
#include "common/log.h"
#include "common/status.h"
#include "worker/worker.h"

namespace ebb::worker {

absl::Status Worker::AckStored(const queue::Delivery& d, const std::string& id,
                               const char* what) {
  absl::Status s = mq_.Ack(d);
  if (absl::IsFailedPrecondition(s)) {
    // The lease ran out (an outage of `ebb up` outlasted it) and the message
    // was taken again. Its result is stored under the same keys the other
    // copy writes, and that copy's holder acks it: nothing is lost or doubled.
    EBB_LOG_WARN(
        "worker {}: request {}: the broker refused the ack ({}); the result is "
        "stored, and the copy now with another worker settles it",
        options_.worker_name, id, std::string(s.message()));
    return absl::OkStatus();
  }
  return Annotate(s, what);
}

}  // namespace ebb::worker
