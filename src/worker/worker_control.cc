// SPDX-License-Identifier: Apache-2.0
// Worker: requests cancelled or deleted through the API (worker/control.h).
// The markers live in the object store, so this works the same whatever the
// queue: a message cannot be taken out of the middle of a RabbitMQ queue, so
// whichever worker takes it acks and drops it here.
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "worker/control.h"
#include "worker/worker.h"

namespace ebb::worker {

absl::StatusOr<std::optional<Worker::Outcome>> Worker::CheckControl(
    const queue::Delivery& d, const Task& task, int attempt,
    absl::Time taken_at) {
  const bool deleted = store_.Head(TombstoneKey(task.id)).ok();
  const bool cancelled = !deleted && store_.Head(CancelKey(task.id)).ok();
  if (!deleted && !cancelled) return std::nullopt;
  EBB_LOG_INFO("worker {}: request {} was {} before it ran; dropping it",
               options_.worker_name, task.id,
               deleted ? "deleted" : "cancelled");
  ResultRecord rec = NewRecord(task, d, attempt, taken_at);
  if (!deleted) {
    // A redelivery of one already recorded cancelled: only ack it.
    auto existing = store_.Get(RecordKey(task.id));
    if (existing.ok() && IsCancelledRecord(*existing)) {
      EBB_RETURN_IF_ERROR(
          AckStored(d, task.id, "while acking a cancelled request"));
      ++stats_.cancelled;
      return Outcome::kTask;
    }
  }
  return Drop(d, std::move(rec), deleted);
}

absl::StatusOr<Worker::Outcome> Worker::Drop(const queue::Delivery& d,
                                             ResultRecord rec, bool deleted) {
  const std::string& id = rec.task.id;
  for (const auto& key : rec.images) {
    absl::Status s = store_.Delete(key);
    if (!s.ok()) {
      EBB_LOG_WARN("worker {}: cannot remove {} of dropped request {}: {}",
                   options_.worker_name, key, id, s.ToString());
    }
  }
  rec.images.clear();
  if (!deleted) {
    rec.done = false;
    rec.cancelled = true;
    rec.created_at = clock_.Now();
    absl::Status put =
        store_.Put(RecordKey(id), RecordJson(rec), "application/json");
    if (!put.ok()) {
      return GiveBack(d, Annotate(put, "while storing a cancelled record"));
    }
    // A DELETE that came meanwhile wins.
    if (UndoIfDeleted(rec)) deleted = true;
  }
  EBB_RETURN_IF_ERROR(AckStored(d, id,
                                deleted ? "while acking a deleted request"
                                        : "while acking a cancelled request"));
  EBB_LOG_INFO("worker {}: request {} {}: acked, not requeued",
               options_.worker_name, id,
               deleted ? "deleted (nothing stored)" : "recorded cancelled");
  ++(deleted ? stats_.deleted : stats_.cancelled);
  return Outcome::kTask;
}

bool Worker::UndoIfDeleted(const ResultRecord& rec) {
  const std::string& id = rec.task.id;
  if (!store_.Head(TombstoneKey(id)).ok()) return false;
  EBB_LOG_INFO(
      "worker {}: request {} was deleted while it ran; removing what was "
      "stored",
      options_.worker_name, id);
  for (const std::string& key : rec.images) (void)store_.Delete(key);
  absl::Status s = store_.Delete(RecordKey(id));
  if (!s.ok()) {
    EBB_LOG_WARN(
        "worker {}: cannot remove the record of deleted request {}: {}",
        options_.worker_name, id, s.ToString());
  }
  (void)store_.Delete(ProgressKey(id));
  return true;
}

}  // namespace ebb::worker
