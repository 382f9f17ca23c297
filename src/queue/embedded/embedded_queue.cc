// SPDX-License-Identifier: Apache-2.0
// EmbeddedQueue: open, schema, the expiry timer, publish and take. Settling
// deliveries (ack, nack, dead letter, extend) is in embedded_queue_settle.cc,
// reads in embedded_queue_read.cc.
#include "queue/embedded/embedded_queue.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue_internal.h"
#include "queue/embedded/sqlite_db.h"

namespace ebb::queue::embedded {
namespace internal {

std::string HeadersToJson(const std::map<std::string, std::string>& headers) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : headers) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::string> HeadersFromJson(const std::string& json) {
  std::map<std::string, std::string> out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  }
  return out;
}

bool IsDeadQueue(const std::string& queue) {
  return queue.size() > 5 && queue.compare(queue.size() - 5, 5, ".dead") == 0;
}

absl::Status ExpiredTag(uint64_t tag) {
  return absl::FailedPreconditionError(absl::StrCat(
      "delivery tag ", tag,
      " is unknown or its lease expired (the message may be with another "
      "worker now)"));
}

std::string Header(const std::map<std::string, std::string>& h,
                   const char* key) {
  auto it = h.find(key);
  return it == h.end() ? "" : it->second;
}

}  // namespace internal

namespace {

using internal::Header;
using internal::HeadersFromJson;
using internal::HeadersToJson;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  body BLOB NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL CHECK (state IN ('ready', 'leased', 'acked', 'dead')),
  deliveries INTEGER NOT NULL DEFAULT 0,
  lease_tag INTEGER,
  lease_expires_ms INTEGER,
  enqueued_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  not_before_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS messages_live ON messages (queue, seq)
  WHERE state IN ('ready', 'leased');
CREATE UNIQUE INDEX IF NOT EXISTS messages_lease ON messages (lease_tag)
  WHERE lease_tag IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_expiry ON messages (lease_expires_ms)
  WHERE state = 'leased';
CREATE INDEX IF NOT EXISTS messages_id ON messages (id, seq) WHERE id <> '';
CREATE INDEX IF NOT EXISTS messages_finished ON messages (updated_ms)
  WHERE state IN ('acked', 'dead');
)sql";

int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }

// Databases made before retries had a delay lack messages.not_before_ms.
absl::Status AddNotBeforeColumn(SqliteDb& db) {
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = "
                 "'not_before_ms'"));
  EBB_ASSIGN_OR_RETURN(bool found, st.Step());
  if (found) return absl::OkStatus();
  return db.Exec(
      "ALTER TABLE messages ADD COLUMN not_before_ms INTEGER NOT NULL "
      "DEFAULT 0");
}

}  // namespace

std::string RequestStateName(RequestState s) {
  switch (s) {
    case RequestState::kQueued:
      return "queued";
    case RequestState::kRunning:
      return "running";
    case RequestState::kDone:
      return "done";
    case RequestState::kFailed:
      return "failed";
  }
  return "queued";
}

absl::StatusOr<std::unique_ptr<EmbeddedQueue>> EmbeddedQueue::Open(
    EmbeddedQueueOptions options) {
  if (options.clock == nullptr) options.clock = Clock::Real();
  if (options.max_deliveries < 1) options.max_deliveries = 1;
  EBB_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                       SqliteDb::Open(options.path));
  EBB_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 10000"));
  EBB_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  EBB_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  {
    Transaction tx(db.get());
    EBB_RETURN_IF_ERROR(tx.Begin());
    EBB_RETURN_IF_ERROR(db->Exec(kSchema));
    EBB_RETURN_IF_ERROR(AddNotBeforeColumn(*db));
    EBB_RETURN_IF_ERROR(tx.Commit());
  }
  std::unique_ptr<EmbeddedQueue> q(
      new EmbeddedQueue(std::move(options), std::move(db)));
  {
    std::lock_guard<std::mutex> lock(q->mu_);
    EBB_RETURN_IF_ERROR(q->PruneLocked());
    EBB_RETURN_IF_ERROR(q->GraceHeldLeasesLocked());
  }
  q->reaper_ = std::thread([p = q.get()] { p->ReaperLoop(); });
  EBB_LOG_INFO("embedded queue open at {}", q->options_.path);
  return q;
}

EmbeddedQueue::EmbeddedQueue(EmbeddedQueueOptions options,
                             std::unique_ptr<SqliteDb> db)
    : options_(std::move(options)),
      db_(std::move(db)),
      rng_(std::random_device{}()) {}

EmbeddedQueue::~EmbeddedQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  reaper_cv_.notify_all();
  takers_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

void EmbeddedQueue::SetListener(std::function<void(const QueueEvent&)> l) {
  listener_ = std::move(l);
}

int64_t EmbeddedQueue::NowMs() const { return ToMs(options_.clock->Now()); }

void EmbeddedQueue::Emit(std::unique_lock<std::mutex>& lock, Events& events) {
  if (events.empty() || !listener_) return;
  Events out;
  out.swap(events);
  lock.unlock();
  for (const QueueEvent& e : out) listener_(e);
  lock.lock();
}

absl::StatusOr<bool> EmbeddedQueue::QueueExistsLocked(
    const std::string& queue) {
  if (known_queues_.count(queue)) return true;
  EBB_ASSIGN_OR_RETURN(Statement st,
                       db_->Prepare("SELECT 1 FROM queues WHERE name = ?1"));
  st.Bind(1, queue);
  EBB_ASSIGN_OR_RETURN(bool found, st.Step());
  if (found) known_queues_.insert(queue);
  return found;
}

absl::Status EmbeddedQueue::DeclareLocked(const std::string& queue) {
  if (known_queues_.count(queue)) return absl::OkStatus();
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("INSERT OR IGNORE INTO queues (name, created_ms) "
                   "VALUES (?1, ?2)"));
  EBB_RETURN_IF_ERROR(st.Bind(1, queue).Bind(2, NowMs()).Run());
  known_queues_.insert(queue);
  return absl::OkStatus();
}

absl::Status EmbeddedQueue::Publish(const std::string& queue,
                                    const OutgoingMessage& msg) {
  if (queue.empty()) return absl::InvalidArgumentError("queue name is empty");
  const std::string id = MessageRequestId(msg.message_id, msg.body);
  std::string last_error = Header(msg.headers, kHeaderDeadReason);
  if (last_error.empty()) last_error = Header(msg.headers, kHeaderLastError);
  std::unique_lock<std::mutex> lock(mu_);
  if (closing_) return absl::UnavailableError("embedded queue is closed");
  const int64_t now = NowMs();
  {
    Transaction tx(db_.get());
    EBB_RETURN_IF_ERROR(tx.Begin());
    if (!known_queues_.count(queue)) {
      EBB_RETURN_IF_ERROR(DeclareLocked(queue));
      known_queues_.erase(queue);  // until the commit
    }
    EBB_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare("INSERT INTO messages (queue, id, message_id, body, "
                     "headers, state, enqueued_ms, updated_ms, last_error, "
                     "not_before_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'ready', ?6, "
                     "?6, ?7, ?8)"));
    std::map<std::string, std::string> headers = msg.headers;
    headers.erase(kHeaderDeliveryCount);  // set by Take, never stored
    st.Bind(1, queue).Bind(2, id).Bind(3, msg.message_id).BindBlob(4, msg.body);
    st.Bind(5, HeadersToJson(headers)).Bind(6, now).Bind(7, last_error);
    st.Bind(8,
            now + std::max<int64_t>(0, absl::ToInt64Milliseconds(msg.delay)));
    EBB_RETURN_IF_ERROR(st.Run());
    EBB_RETURN_IF_ERROR(tx.Commit());
    known_queues_.insert(queue);
  }
  takers_cv_.notify_all();
  Events events{{QueueEvent::Kind::kPublished, queue, id}};
  Emit(lock, events);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Delivery>> EmbeddedQueue::Take(
    const std::string& queue, absl::Duration timeout) {
  return Take(queue, timeout, options_.default_lease);
}

absl::StatusOr<std::optional<Delivery>> EmbeddedQueue::Take(
    const std::string& queue, absl::Duration timeout, absl::Duration lease) {
  if (queue.empty()) return absl::InvalidArgumentError("queue name is empty");
  if (lease <= absl::ZeroDuration()) lease = options_.default_lease;
  const auto deadline =
      std::chrono::steady_clock::now() +
      absl::ToChronoMilliseconds(std::max(timeout, absl::ZeroDuration()));
  std::unique_lock<std::mutex> lock(mu_);
  EBB_RETURN_IF_ERROR(DeclareLocked(queue));
  ++waiting_[queue];
  Events events;
  absl::StatusOr<std::optional<Delivery>> result = std::nullopt;
  while (true) {
    if (closing_) {
      result = absl::UnavailableError("embedded queue is closed");
      break;
    }
    result = TryTake(queue, lease, events);
    if (!result.ok() || result->has_value()) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    // Dead-letter events from this attempt go out before waiting.
    Emit(lock, events);
    auto wake = deadline;
    if (absl::StatusOr<int64_t> next = NextNotBeforeLocked(queue);
        next.ok() && *next > 0) {
      wake = std::min(wake, std::chrono::steady_clock::now() +
                                std::chrono::milliseconds(
                                    std::max<int64_t>(1, *next - NowMs())));
    }
    takers_cv_.wait_until(lock, wake);
  }
  if (--waiting_[queue] == 0) waiting_.erase(queue);
  Emit(lock, events);
  return result;
}

absl::StatusOr<std::optional<Delivery>> EmbeddedQueue::TryTake(
    const std::string& queue, absl::Duration lease, Events& events) {
  const int64_t now = NowMs();
  const int64_t expires = now + absl::ToInt64Milliseconds(lease);
  Transaction tx(db_.get());
  EBB_RETURN_IF_ERROR(tx.Begin());
  std::optional<Delivery> got;
  while (!got.has_value()) {
    EBB_ASSIGN_OR_RETURN(
        Statement pick,
        db_->Prepare("SELECT seq, deliveries FROM messages WHERE queue = ?1 "
                     "AND state IN ('ready', 'leased') AND ((state = 'ready' "
                     "AND not_before_ms <= ?2) OR (state = 'leased' AND "
                     "lease_expires_ms <= ?2)) ORDER BY seq LIMIT 1"));
    pick.Bind(1, queue).Bind(2, now);
    EBB_ASSIGN_OR_RETURN(bool found, pick.Step());
    if (!found) break;
    const int64_t seq = pick.Int(0);
    const int64_t deliveries = pick.Int(1);
    if (!internal::IsDeadQueue(queue) &&
        deliveries >= options_.max_deliveries) {
      EBB_RETURN_IF_ERROR(
          MoveToDead(seq, queue,
                     absl::StrCat("delivered ", deliveries,
                                  " times without ack (worker died?)"),
                     events));
      continue;
    }
    const uint64_t tag = (rng_() >> 1) | 1u;  // 63-bit, never 0
    EBB_ASSIGN_OR_RETURN(
        Statement upd,
        db_->Prepare("UPDATE messages SET state = 'leased', deliveries = "
                     "deliveries + 1, lease_tag = ?1, lease_expires_ms = ?2, "
                     "updated_ms = ?3 WHERE seq = ?4 RETURNING body, "
                     "message_id, headers, id"));
    upd.Bind(1, static_cast<int64_t>(tag)).Bind(2, expires).Bind(3, now);
    upd.Bind(4, seq);
    EBB_ASSIGN_OR_RETURN(bool row, upd.Step());
    if (!row) return absl::InternalError("leased row vanished");
    Delivery d;
    d.delivery_tag = tag;
    d.queue = queue;
    d.body = upd.Text(0);
    d.message_id = upd.Text(1);
    d.headers = HeadersFromJson(upd.Text(2));
    d.redelivered = deliveries > 0;
    // As RabbitMQ's quorum queues: earlier deliveries without an ack.
    if (deliveries > 0)
      d.headers[kHeaderDeliveryCount] = absl::StrCat(deliveries);
    events.push_back({QueueEvent::Kind::kTaken, queue, upd.Text(3)});
    got = std::move(d);
  }
  EBB_RETURN_IF_ERROR(tx.Commit());
  if (got.has_value()) NoteLease(expires);
  return got;
}

absl::StatusOr<int64_t> EmbeddedQueue::NextNotBeforeLocked(
    const std::string& queue) {
  EBB_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare("SELECT MIN(not_before_ms) FROM messages WHERE queue = ?1 "
                   "AND state = 'ready' AND not_before_ms > ?2"));
  st.Bind(1, queue).Bind(2, NowMs());
  EBB_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.IsNull(0)) return 0;
  return st.Int(0);
}

}  // namespace ebb::queue::embedded
