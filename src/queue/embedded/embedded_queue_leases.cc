// SPDX-License-Identifier: Apache-2.0
// EmbeddedQueue: leases — extension, the grace given to leases held when the
// queue was opened, expiry (the timer thread and ReapExpiredLeases) — and the
// pruning of finished rows.
#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/status.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/embedded/embedded_queue_internal.h"
#include "queue/embedded/sqlite_db.h"

namespace ebb::queue::embedded {
namespace {

using internal::ExpiredTag;

constexpr absl::Duration kPruneEvery = absl::Minutes(10);

}  // namespace

void EmbeddedQueue::NoteLease(int64_t expires_ms) {
  if (reaper_target_ms_ == 0 || expires_ms < reaper_target_ms_) {
    reaper_target_ms_ = expires_ms;
    reaper_cv_.notify_all();
  }
}

absl::StatusOr<int> EmbeddedQueue::ReapExpiredLeases() {
  std::unique_lock<std::mutex> lock(mu_);
  Events events;
  absl::StatusOr<int> n = ReapLocked(events);
  Emit(lock, events);
  return n;
}

absl::StatusOr<int> EmbeddedQueue::ReapLocked(Events& events) {
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      // The tag stays until the next take, so the late holder's ack still
      // settles the message (Ack).
      db_->Prepare("UPDATE messages SET state = 'ready', lease_expires_ms = "
                   "NULL, updated_ms = ?1 WHERE state = 'leased' AND "
                   "lease_expires_ms <= ?1 RETURNING queue, id"));
  st.Bind(1, NowMs());
  int n = 0;
  while (true) {
    EBB_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    events.push_back({QueueEvent::Kind::kExpired, st.Text(0), st.Text(1)});
    ++n;
  }
  if (n > 0) {
    EBB_LOG_INFO("{} lease(s) expired; their messages are ready again", n);
    takers_cv_.notify_all();
  }
  return n;
}

absl::Status EmbeddedQueue::PruneLocked() {
  const int64_t now = NowMs();
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("DELETE FROM messages WHERE state IN ('acked', 'dead') AND "
                   "updated_ms < ?1"));
  st.Bind(1, now - absl::ToInt64Milliseconds(options_.acked_retention));
  EBB_RETURN_IF_ERROR(st.Run());
  next_prune_ms_ = now + absl::ToInt64Milliseconds(kPruneEvery);
  return absl::OkStatus();
}

void EmbeddedQueue::ReaperLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  Events events;
  while (!closing_) {
    int64_t target = next_prune_ms_;
    absl::Status s = ReapLocked(events).status();
    if (s.ok() && NowMs() >= next_prune_ms_) s = PruneLocked();
    if (s.ok()) {
      absl::StatusOr<Statement> next = db_->Prepare(
          "SELECT MIN(lease_expires_ms) FROM messages WHERE state = 'leased'");
      if (next.ok()) {
        absl::StatusOr<bool> row = next->Step();
        if (row.ok() && *row && !next->IsNull(0)) {
          target = std::min(next->Int(0), next_prune_ms_);
        }
      }
    } else {
      EBB_LOG_WARN("embedded queue expiry timer: {}", s.ToString());
      target = NowMs() + 1000;
    }
    reaper_target_ms_ = target;
    Emit(lock, events);
    if (closing_) break;
    const int64_t wait_ms = std::max<int64_t>(1, reaper_target_ms_ - NowMs());
    reaper_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                        [&] { return closing_ || reaper_target_ms_ < target; });
  }
}

absl::Status EmbeddedQueue::GraceHeldLeasesLocked() {
  const int64_t until =
      NowMs() + absl::ToInt64Milliseconds(options_.restart_lease_grace);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("UPDATE messages SET lease_expires_ms = ?1 WHERE state = "
                   "'leased' AND lease_expires_ms < ?1"));
  EBB_RETURN_IF_ERROR(st.Bind(1, until).Run());
  if (const int64_t n = db_->Changes(); n > 0) {
    EBB_LOG_INFO(
        "{} message(s) were held by workers when the queue was last closed; "
        "their leases run {} more for the workers to renew them",
        n, absl::FormatDuration(options_.restart_lease_grace));
  }
  return absl::OkStatus();
}

absl::Status EmbeddedQueue::Extend(uint64_t tag, absl::Duration lease) {
  if (lease <= absl::ZeroDuration()) lease = options_.default_lease;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = NowMs();
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("UPDATE messages SET lease_expires_ms = ?2 WHERE "
                   "lease_tag = ?1 AND state = 'leased' AND "
                   "lease_expires_ms > ?3"));
  st.Bind(1, static_cast<int64_t>(tag));
  st.Bind(2, now + absl::ToInt64Milliseconds(lease)).Bind(3, now);
  EBB_RETURN_IF_ERROR(st.Run());
  if (db_->Changes() == 0) return ExpiredTag(tag);
  return absl::OkStatus();
}

}  // namespace ebb::queue::embedded
