// SPDX-License-Identifier: Apache-2.0
#include "cli/submitter.h"

#include "absl/strings/str_cat.h"
#include "cli/publish.h"
#include "common/log.h"
#include "common/secrets.h"

namespace ebb::cli {

absl::StatusOr<std::vector<std::string>> Submitter::Submit(
    const nlohmann::json& body) {
  auto tasks = BuildTasks(body);
  if (!tasks.ok()) return tasks.status();
  const std::string scaled_job = body.value("scaledjob", "");
  auto target = ResolveBrokerTarget(*controller_.manifests(), scaled_job);
  if (!target.ok())
    return absl::InvalidArgumentError(std::string(target.status().message()));

  if (target->embedded()) {
    if (embedded_ == nullptr) {
      return absl::FailedPreconditionError(
          "this ebb up runs no embedded queue");
    }
    std::vector<std::string> ids;
    absl::Status s = PublishTasks(*embedded_, target->queue, *tasks, &ids);
    if (!ids.empty()) controller_.WakeQueue(target->queue);
    if (!s.ok()) return s;
    EBB_LOG_INFO("queued {} request(s) on {} for scaledjob {}", ids.size(),
                 target->queue, target->scaled_job);
    return ids;
  }

  std::shared_ptr<Connection> conn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& c = connections_[target->amqp_url];
    if (!c) c = std::make_shared<Connection>();
    conn = c;
  }
  std::lock_guard<std::mutex> lock(conn->mu);
  std::vector<std::string> ids;
  absl::Status status = absl::UnavailableError("not connected");
  for (int attempt = 0; attempt < 2 && ids.size() < tasks->size(); ++attempt) {
    if (!conn->mq) {
      auto mq = OpenRabbitMq(target->amqp_url, "ebb-up-submit");
      if (!mq.ok()) {
        status = mq.status();
        continue;
      }
      conn->mq = std::move(mq).value();
    }
    // A retry resumes after the last confirmed message: no duplicates.
    status = PublishTasks(*conn->mq, target->queue, *tasks, &ids);
    if (!status.ok())
      conn->mq.reset();  // reconnect once: the connection may be stale
  }
  if (!ids.empty()) controller_.WakeQueue(target->queue);
  if (ids.size() < tasks->size()) {
    return absl::UnavailableError(
        absl::StrCat(MaskUrlCredentials(std::string(status.message())),
                     " (published ", ids.size(), " of ", tasks->size(), ")"));
  }
  EBB_LOG_INFO(
      "published {} request(s) to queue {} for scaledjob {}; woke its scale "
      "loop",
      ids.size(), target->queue, target->scaled_job);
  return ids;
}

}  // namespace ebb::cli
