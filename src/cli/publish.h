// SPDX-License-Identifier: Apache-2.0
//
// File: cli/publish.h
//
// Turning a submit body into task messages (DESIGN.md "Task message") and
// publishing them: persistent, confirmed, with an id, the AMQP message_id and
// the enqueue time.
#ifndef EBB_CLI_PUBLISH_H_
#define EBB_CLI_PUBLISH_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "queue/message_queue.h"

namespace ebb::cli {

// Submit body: {"prompt": str, "count": 1-4, "negative_prompt", "seed",
// "steps", "width", "height", "guidance_scale", "model", "scheduler"
// (euler|euler_a|ddim|lcm), "repeat": N (separate
// requests, default 1), "parallel": bool (with count N: N requests of 1)}.
// InvalidArgument naming the field and the rule.
absl::StatusOr<std::vector<nlohmann::json>> BuildTasks(
    const nlohmann::json& body);

// Publishes the tasks of `tasks` not yet in `*published` (by position) to
// `queue`, appending each confirmed id to `*published`. Stops at the first
// failure, so a retry with the same vector resumes without duplicating
// confirmed messages.
absl::Status PublishTasks(queue::MessageQueue& mq, const std::string& queue,
                          const std::vector<nlohmann::json>& tasks,
                          std::vector<std::string>* published);

}  // namespace ebb::cli

#endif  // EBB_CLI_PUBLISH_H_
