// SPDX-License-Identifier: Apache-2.0
//
// File: cli/wiring.h
//
// The one place that knows the concrete implementations: scaler registration,
// manifest loading with every check, broker targets, the API token.
#ifndef EBB_CLI_WIRING_H_
#define EBB_CLI_WIRING_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "queue/message_queue.h"
#include "scalers/scaler.h"
#include "spec/manifests.h"

namespace ebb::queue::embedded {
class EmbeddedQueue;
}

namespace ebb::cli {

// Registers every built-in scaler type: rabbitmq, and ebb-queue over `embedded`
// (validation only, reading depth 0, when null: for commands that do not run
// the queue). Explicit, no static init.
void RegisterBuiltinScalers(scalers::ScalerRegistry* registry,
                            queue::embedded::EmbeddedQueue* embedded = nullptr);

// Loads manifests and runs every check: spec validation and the scalers'
// trigger validation (typos, values, pairing warnings). NotFound for an
// unreadable path.
absl::StatusOr<spec::LoadResult> LoadAndCheck(
    const std::vector<std::string>& paths,
    const scalers::ScalerRegistry& registry);

// Prints diagnostics to stderr, one per line. Returns the number of errors.
int PrintDiagnostics(const std::vector<spec::Diagnostic>& diagnostics);

// Where a ScaledJob's prompts go: the queue of its first rabbitmq trigger, with
// the AMQP URL (host resolved through its TriggerAuthentication), or of its
// first ebb-queue trigger (ebb's embedded queue; amqp_url empty). The URL holds
// credentials: never print it unmasked.
struct BrokerTarget {
  std::string scaled_job;
  std::string amqp_url;  // "" = the embedded queue of `ebb up`
  std::string queue;
  bool embedded() const { return amqp_url.empty(); }
};
absl::StatusOr<BrokerTarget> ResolveBrokerTarget(
    const spec::Manifests& manifests, const std::string& scaled_job);

// Opens the RabbitMQ MessageQueue at `amqp_url`.
absl::StatusOr<std::unique_ptr<queue::MessageQueue>> OpenRabbitMq(
    const std::string& amqp_url, const std::string& name);

// Reads the API token from <data_dir>/token, creating a random one (mode 0600)
// when missing and `create` is true.
absl::StatusOr<std::string> ApiToken(const std::string& data_dir, bool create);
// The same for a token file at `path`.
absl::StatusOr<std::string> ApiTokenFile(const std::string& path, bool create);

}  // namespace ebb::cli

#endif  // EBB_CLI_WIRING_H_
