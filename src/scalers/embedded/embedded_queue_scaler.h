// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/embedded/embedded_queue_scaler.h
//
// The `ebb-queue` trigger: the ready count of a queue of ebb's embedded queue
// (queue/embedded/), read in process. Metadata:
//   queueName        required
//   value            target messages per job, > 0; default 1
//   activationValue  active <=> ready > activationValue, >= 0; default 0
// The metric excludes leased (in-flight) messages, as the AMQP count of the
// rabbitmq trigger does, so it pairs with the `accurate` strategy
// (CountsInFlight = kExcluded). Metric name "s<index>-ebb-queue-<queue>".
// A queue nobody has published to yet reads 0.
//
// Threading: as every Scaler; the EmbeddedQueue is thread-safe and must
// outlive the factory and its scalers.
#ifndef EBB_SCALERS_EMBEDDED_EMBEDDED_QUEUE_SCALER_H_
#define EBB_SCALERS_EMBEDDED_EMBEDDED_QUEUE_SCALER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "scalers/scaler.h"

namespace ebb::queue::embedded {
class EmbeddedQueue;
}

namespace ebb::scalers {

inline constexpr char kEmbeddedQueueTriggerType[] = "ebb-queue";

struct EmbeddedQueueMetadata {
  std::string queue_name;
  double value = 1;
  double activation_value = 0;
  std::string metric_name;  // "s<index>-ebb-queue-<queue>"
};

// Parses and checks the trigger without I/O. InvalidArgument naming the key.
absl::StatusOr<EmbeddedQueueMetadata> ParseEmbeddedQueueMetadata(
    const ScalerContext& ctx);

// `q` may be null (ebb runs without the embedded queue): Validate still
// works; Create returns FailedPrecondition.
std::unique_ptr<ScalerFactory> NewEmbeddedQueueScalerFactory(
    queue::embedded::EmbeddedQueue* q);

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_EMBEDDED_EMBEDDED_QUEUE_SCALER_H_
