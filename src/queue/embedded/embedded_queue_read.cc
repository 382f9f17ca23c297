// SPDX-License-Identifier: Apache-2.0
// EmbeddedQueue: depth, browse, get and request status.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/embedded/embedded_queue_internal.h"
#include "queue/embedded/sqlite_db.h"

namespace ebb::queue::embedded {
namespace {

absl::Status MissingQueue(const std::string& queue) {
  return absl::NotFoundError(absl::StrCat("queue '", queue, "' not found"));
}

// Columns of kRequestColumns, in order.
constexpr char kRequestColumns[] =
    "m.id, m.queue, m.deliveries, m.body, m.last_error, m.updated_ms, "
    "m.enqueued_ms";

RequestInfo ReadRequest(const Statement& st, int64_t state, int64_t first_ms) {
  RequestInfo r;
  r.id = st.Text(0);
  r.queue = st.Text(1);
  r.deliveries = st.Int(2);
  r.body = st.Text(3);
  r.error = st.Text(4);
  r.updated = absl::FromUnixMillis(st.Int(5));
  r.created = absl::FromUnixMillis(first_ms);
  r.state = static_cast<RequestState>(state);
  return r;
}

}  // namespace

absl::StatusOr<QueueDepth> EmbeddedQueue::Depth(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(bool exists, QueueExistsLocked(queue));
  if (!exists) return MissingQueue(queue);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT COUNT(*) FROM messages WHERE queue = ?1 AND state "
                   "IN ('ready', 'leased') AND ((state = 'ready' AND "
                   "not_before_ms <= ?2) OR (state = 'leased' AND "
                   "lease_expires_ms <= ?2))"));
  st.Bind(1, queue).Bind(2, NowMs());
  EBB_RETURN_IF_ERROR(st.Step().status());
  QueueDepth d;
  d.ready = st.Int(0);
  auto it = waiting_.find(queue);
  d.consumers = it == waiting_.end() ? 0 : it->second;
  return d;
}

absl::StatusOr<DetailedDepth> EmbeddedQueue::Depths(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT queue, SUM((state = 'ready' AND not_before_ms <= "
                   "?3) OR (state = 'leased' AND lease_expires_ms <= ?3)), "
                   "SUM(state = 'leased' AND lease_expires_ms > ?3), "
                   "SUM(state = 'ready' AND not_before_ms > ?3) FROM messages "
                   "WHERE queue IN (?1, ?2) AND state IN ('ready', 'leased') "
                   "GROUP BY queue"));
  st.Bind(1, queue).Bind(2, DeadLetterQueueName(queue)).Bind(3, NowMs());
  DetailedDepth d;
  while (true) {
    EBB_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (st.Text(0) == queue) {
      d.ready = st.Int(1);
      d.leased = st.Int(2);
      d.delayed = st.Int(3);
    } else {
      d.dead = st.Int(1) + st.Int(2) + st.Int(3);
    }
  }
  return d;
}

absl::StatusOr<std::vector<Delivery>> EmbeddedQueue::Browse(
    const std::string& queue, int max) {
  std::lock_guard<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(bool exists, QueueExistsLocked(queue));
  if (!exists) return MissingQueue(queue);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT body, message_id, headers, deliveries FROM "
                   "messages WHERE queue = ?1 AND state IN ('ready', "
                   "'leased') AND (state = 'ready' OR lease_expires_ms <= ?2) "
                   "ORDER BY seq LIMIT ?3"));
  st.Bind(1, queue).Bind(2, NowMs()).Bind(3, static_cast<int64_t>(max));
  std::vector<Delivery> out;
  while (true) {
    EBB_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Delivery d;
    d.queue = queue;
    d.body = st.Text(0);
    d.message_id = st.Text(1);
    d.headers = internal::HeadersFromJson(st.Text(2));
    d.redelivered = st.Int(3) > 0;
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::optional<Delivery>> EmbeddedQueue::Get(
    const std::string& queue) {
  std::unique_lock<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(bool exists, QueueExistsLocked(queue));
  if (!exists) return MissingQueue(queue);
  Events events;
  absl::StatusOr<std::optional<Delivery>> got =
      TryTake(queue, options_.default_lease, events);
  Emit(lock, events);
  return got;
}

absl::StatusOr<RequestInfo> EmbeddedQueue::Request(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("request id is empty");
  std::lock_guard<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(absl::StrCat(
          "SELECT ", kRequestColumns, ", ", internal::kStateSql,
          ", (SELECT MIN(enqueued_ms) FROM messages WHERE id = ?2) FROM "
          "messages m WHERE m.id = ?2 ORDER BY m.seq DESC LIMIT 1")));
  st.Bind(1, NowMs()).Bind(2, id);
  EBB_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat("no request with id '", id, "'"));
  }
  return ReadRequest(st, st.Int(7), st.Int(8));
}

absl::StatusOr<std::vector<RequestInfo>> EmbeddedQueue::Requests(
    std::optional<RequestState> state, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(absl::StrCat(
          "SELECT * FROM (SELECT ", kRequestColumns, ", ", internal::kStateSql,
          " AS st, f.first_ms, f.s FROM messages m JOIN (SELECT MAX(seq) AS s, "
          "MIN(enqueued_ms) AS first_ms FROM messages WHERE id <> '' GROUP BY "
          "id) f ON m.seq = f.s) WHERE ?2 < 0 OR st = ?2 ORDER BY s DESC LIMIT "
          "?3")));
  st.Bind(1, NowMs());
  st.Bind(2, state.has_value() ? static_cast<int64_t>(*state) : -1);
  st.Bind(3, static_cast<int64_t>(limit));
  std::vector<RequestInfo> out;
  while (true) {
    EBB_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadRequest(st, st.Int(7), st.Int(8)));
  }
  return out;
}

}  // namespace ebb::queue::embedded
