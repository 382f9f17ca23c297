// SPDX-License-Identifier: Apache-2.0
// EmbeddedQueue: settling deliveries — ack, nack (requeue with the retry
// delay, or dead letter) and the move to the dead-letter queue.
#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/embedded/embedded_queue_internal.h"
#include "queue/embedded/sqlite_db.h"

namespace ebb::queue::embedded {

using internal::ExpiredTag;
using internal::Header;
using internal::HeadersFromJson;
using internal::HeadersToJson;

absl::Status EmbeddedQueue::MoveToDead(int64_t seq, const std::string& queue,
                                       const std::string& reason,
                                       Events& events) {
  EBB_ASSIGN_OR_RETURN(
      Statement get,
      db_->Prepare("SELECT headers, id, deliveries, message_id, body FROM "
                   "messages WHERE seq = ?1"));
  get.Bind(1, seq);
  EBB_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) return absl::InternalError("dead-lettered row vanished");
  std::map<std::string, std::string> headers = HeadersFromJson(get.Text(0));
  const std::string id = DeadLetterId(get.Text(3), get.Text(4));
  const std::string message_id =
      get.Text(3).empty() && get.Text(1).empty() ? id : get.Text(3);
  const int64_t now = NowMs();
  if (internal::IsDeadQueue(queue)) {
    // Rejected again in a dead-letter queue: dropped, kept for status.
    EBB_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare("UPDATE messages SET state = 'dead', lease_tag = NULL, "
                     "lease_expires_ms = NULL, updated_ms = ?2, last_error = "
                     "?3 WHERE seq = ?1"));
    EBB_RETURN_IF_ERROR(st.Bind(1, seq).Bind(2, now).Bind(3, reason).Run());
    events.push_back({QueueEvent::Kind::kDeadLettered, queue, id});
    return absl::OkStatus();
  }
  const std::string dead = DeadLetterQueueName(queue);
  headers[kHeaderDeadReason] = reason;
  headers.try_emplace(kHeaderOriginalQueue, queue);
  // The attempts made, as the worker counts them (x-ebb-attempt plus the
  // deliveries without ack), so the dead letter agrees with the worker's.
  int64_t attempts = 0;
  (void)absl::SimpleAtoi(Header(headers, kHeaderAttempt), &attempts);
  headers[kHeaderAttempt] =
      absl::StrCat(std::max<int64_t>(0, attempts) + get.Int(2));
  EBB_RETURN_IF_ERROR(DeclareLocked(dead));
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("UPDATE messages SET queue = ?2, state = 'ready', "
                   "deliveries = 0, lease_tag = NULL, lease_expires_ms = NULL, "
                   "headers = ?3, updated_ms = ?4, last_error = ?5, id = ?6, "
                   "message_id = ?7, not_before_ms = 0 WHERE seq = ?1"));
  st.Bind(1, seq).Bind(2, dead).Bind(3, HeadersToJson(headers)).Bind(4, now);
  EBB_RETURN_IF_ERROR(st.Bind(5, reason).Bind(6, id).Bind(7, message_id).Run());
  EBB_LOG_WARN("dead-lettered message '{}' from {} to {}: {}", id, queue, dead,
               reason);
  events.push_back({QueueEvent::Kind::kDeadLettered, queue, id});
  return absl::OkStatus();
}

absl::Status EmbeddedQueue::Ack(const Delivery& d) {
  std::unique_lock<std::mutex> lock(mu_);
  // The tag stays on the acked row, so a repeated ack (a retry whose first
  // answer was lost) is recognised. A lease that expired but was not taken
  // again (still leased, or ready with this tag) is acked too: the worker
  // acks only after its result is stored.
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("UPDATE messages SET state = 'acked', lease_expires_ms = "
                   "NULL, updated_ms = ?2 WHERE lease_tag = ?1 AND state IN "
                   "('leased', 'ready') RETURNING queue, id"));
  st.Bind(1, static_cast<int64_t>(d.delivery_tag)).Bind(2, NowMs());
  EBB_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    EBB_ASSIGN_OR_RETURN(
        Statement again,
        db_->Prepare("SELECT 1 FROM messages WHERE lease_tag = ?1 AND state = "
                     "'acked'"));
    again.Bind(1, static_cast<int64_t>(d.delivery_tag));
    EBB_ASSIGN_OR_RETURN(bool acked, again.Step());
    if (acked) return absl::OkStatus();
    return ExpiredTag(d.delivery_tag);
  }
  Events events{{QueueEvent::Kind::kAcked, st.Text(0), st.Text(1)}};
  EBB_RETURN_IF_ERROR(st.Run());
  Emit(lock, events);
  return absl::OkStatus();
}

absl::Status EmbeddedQueue::Nack(const Delivery& d, bool requeue) {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t now = NowMs();
  Events events;
  {
    Transaction tx(db_.get());
    EBB_RETURN_IF_ERROR(tx.Begin());
    EBB_ASSIGN_OR_RETURN(
        Statement find,
        db_->Prepare("SELECT seq, queue, id FROM messages WHERE lease_tag = "
                     "?1 AND state = 'leased' AND lease_expires_ms > ?2"));
    find.Bind(1, static_cast<int64_t>(d.delivery_tag)).Bind(2, now);
    EBB_ASSIGN_OR_RETURN(bool found, find.Step());
    if (!found) return ExpiredTag(d.delivery_tag);
    const int64_t seq = find.Int(0);
    const std::string queue = find.Text(1);
    if (requeue) {
      EBB_ASSIGN_OR_RETURN(
          Statement st,
          db_->Prepare("UPDATE messages SET state = 'ready', lease_tag = "
                       "NULL, lease_expires_ms = NULL, updated_ms = ?2 "
                       "WHERE seq = ?1"));
      EBB_RETURN_IF_ERROR(st.Bind(1, seq).Bind(2, now).Run());
      events.push_back({QueueEvent::Kind::kRequeued, queue, find.Text(2)});
    } else {
      EBB_RETURN_IF_ERROR(MoveToDead(
          seq, queue, "rejected by a worker (nack without requeue)", events));
    }
    EBB_RETURN_IF_ERROR(tx.Commit());
  }
  if (requeue) takers_cv_.notify_all();
  Emit(lock, events);
  return absl::OkStatus();
}

}  // namespace ebb::queue::embedded
