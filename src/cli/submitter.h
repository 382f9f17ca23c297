// SPDX-License-Identifier: Apache-2.0
//
// File: cli/submitter.h
//
// The `ebb up` side of POST /api/v1/requests: publish to the target ScaledJob's
// queue, then wake its scale loop, so a prompt through ebb is seen in
// milliseconds rather than at the next poll. With an external broker it also
// writes each published request's `<id>.submitted` object (worker/control.h)
// to the results store, so the API, `ebb get` and `ebb wait` know a queued
// request before a worker reports it (a RabbitMQ queue cannot be listed).
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
#include "storage/object_store.h"

namespace ebb::cli {

class Submitter {
 public:
  // `embedded` (may be null) receives requests for ScaledJobs with an ebb-queue
  // trigger; `store` (may be null) receives the `<id>.submitted` objects of
  // requests published to a broker. Both must be thread-safe and outlive the
  // submitter.
  Submitter(controller::Controller& controller, queue::MessageQueue* embedded,
            storage::ObjectStore* store = nullptr)
      : controller_(controller), embedded_(embedded), store_(store) {}
  // Body as in publish.h, plus optional "scaledjob" (default: the first
  // ScaledJob with a rabbitmq or ebb-queue trigger). Returns the published ids.
  absl::StatusOr<std::vector<std::string>> Submit(const nlohmann::json& body);

 private:
  // Writes `<id>.submitted` for the first `published` of `tasks`.
  void RecordSubmitted(const std::vector<nlohmann::json>& tasks,
                       size_t published);

  struct Connection {
    std::mutex mu;
    std::unique_ptr<queue::MessageQueue> mq;
  };
  controller::Controller& controller_;
  queue::MessageQueue* embedded_;
  storage::ObjectStore* store_;
  std::mutex mu_;  // guards connections_
  std::map<std::string, std::shared_ptr<Connection>>
      connections_;  // by AMQP URL
};

}  // namespace ebb::cli

#endif  // EBB_CLI_SUBMITTER_H_
