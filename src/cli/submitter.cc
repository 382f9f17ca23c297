// SPDX-License-Identifier: Apache-2.0
#include "cli/submitter.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/publish.h"
#include "common/log.h"
#include "common/secrets.h"
#include "worker/control.h"

namespace ebb::cli {

// After the publish, never before: a marker must not announce a request the
// broker never took. A failed write loses nothing (the message is queued); the
// request is then known only once a worker reports it.
void Submitter::RecordSubmitted(const std::vector<nlohmann::json>& tasks,
                                size_t published) {
  if (store_ == nullptr) return;
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < published && i < tasks.size(); ++i) {
    const std::string id = tasks[i].value("id", "");
    auto body = worker::SubmittedJson(tasks[i].dump(), now);
    if (id.empty() || !body) continue;
    absl::Status s =
        store_->Put(worker::SubmittedKey(id), *body, "application/json");
    if (!s.ok()) {
      EBB_LOG_WARN(
          "request {} is queued, but its submitted marker could not be "
          "stored ({}): the API knows it once a worker reports it",
          id, s.ToString());
    }
  }
}

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
  std::vector<std::string> ids;
  absl::Status status = absl::UnavailableError("not connected");
  {
    // Only the publishing holds the connection: the markers' store writes
    // below must not hold back other submitters to the same broker.
    std::lock_guard<std::mutex> lock(conn->mu);
    for (int attempt = 0; attempt < 2 && ids.size() < tasks->size();
         ++attempt) {
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
  }
  if (!ids.empty()) controller_.WakeQueue(target->queue);
  RecordSubmitted(*tasks, ids.size());
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
