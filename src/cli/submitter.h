// SPDX-License-Identifier: Apache-2.0
//
// File: cli/submitter.h
//
// The `ebb up` side of POST /api/v1/requests: publish to the target ScaledJob's
// queue, then wake its scale loop, so a prompt through ebb is seen in
// milliseconds rather than at the next poll.
//
// Threading: Submit is thread-safe (one broker connection per target, behind a
// mutex; reconnects once on error).
#ifndef EBB_CLI_SUBMITTER_H_
#define EBB_CLI_SUBMITTER_H_

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/wiring.h"
#include "controller/controller.h"

namespace ebb::cli {

class Submitter {
 public:
  // `embedded` (may be null) receives requests for ScaledJobs with an ebb-queue
  // trigger; it must be thread-safe and outlive the submitter.
  Submitter(controller::Controller& controller, queue::MessageQueue* embedded)
      : controller_(controller), embedded_(embedded) {}
  // Body as in publish.h, plus optional "scaledjob" (default: the first
  // ScaledJob with a rabbitmq or ebb-queue trigger). Returns the published ids.
  absl::StatusOr<std::vector<std::string>> Submit(const nlohmann::json& body);

 private:
  struct Connection {
    std::mutex mu;
    std::unique_ptr<queue::MessageQueue> mq;
  };
  controller::Controller& controller_;
  queue::MessageQueue* embedded_;
  std::mutex mu_;  // guards connections_
  std::map<std::string, std::shared_ptr<Connection>>
      connections_;  // by AMQP URL
};

}  // namespace ebb::cli

#endif  // EBB_CLI_SUBMITTER_H_
