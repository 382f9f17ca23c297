// SPDX-License-Identifier: Apache-2.0
#include "queue/dead_letters.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace ebb::queue {
namespace {

std::string HeaderOr(const std::map<std::string, std::string>& headers,
                     const char* key, const std::string& fallback = "") {
  auto it = headers.find(key);
  return it == headers.end() ? fallback : it->second;
}

// Nacks (requeue) every held delivery; returns the first error.
absl::Status RequeueAll(MessageQueue& mq, const std::vector<Delivery>& held) {
  absl::Status first;
  for (const Delivery& d : held) {
    absl::Status s = mq.Nack(d, /*requeue=*/true);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace

std::string DeadLetterQueueName(const std::string& queue) {
  return queue + ".dead";
}

std::string MessageRequestId(const std::string& message_id,
                             const std::string& body) {
  if (!message_id.empty()) return message_id;
  nlohmann::json j = nlohmann::json::parse(body, nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("id");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

absl::Status DeadLetter(MessageQueue& mq, const Delivery& d,
                        const std::string& dead_queue,
                        const std::string& reason) {
  OutgoingMessage out;
  out.body = d.body;
  out.message_id = d.message_id;
  out.headers = d.headers;
  out.headers[kHeaderDeadReason] = reason;
  out.headers[kHeaderOriginalQueue] =
      HeaderOr(d.headers, kHeaderOriginalQueue, d.queue);
  EBB_RETURN_IF_ERROR(Annotate(mq.Publish(dead_queue, out),
                               "while dead-lettering to " + dead_queue));
  EBB_LOG_WARN("dead-lettered message '{}' from {} to {}: {}",
               MessageRequestId(d.message_id, d.body), d.queue, dead_queue,
               reason);
  return Annotate(mq.Ack(d), "while acking a dead-lettered message");
}

absl::StatusOr<std::vector<DeadLetterEntry>> ListDeadLetters(
    MessageQueue& mq, const std::string& dead_queue, int max) {
  absl::StatusOr<std::vector<Delivery>> browsed = mq.Browse(dead_queue, max);
  if (absl::IsNotFound(browsed.status())) {
    return std::vector<DeadLetterEntry>();
  }
  if (!browsed.ok()) return browsed.status();
  std::vector<DeadLetterEntry> entries;
  entries.reserve(browsed->size());
  for (Delivery& d : *browsed) {
    DeadLetterEntry e;
    e.id = MessageRequestId(d.message_id, d.body);
    e.reason = HeaderOr(d.headers, kHeaderDeadReason);
    e.original_queue = HeaderOr(d.headers, kHeaderOriginalQueue);
    int64_t attempt = 0;
    if (absl::SimpleAtoi(HeaderOr(d.headers, kHeaderAttempt), &attempt)) {
      e.attempt = attempt;
    }
    e.body = std::move(d.body);
    e.headers = std::move(d.headers);
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::StatusOr<int> ReplayDeadLetters(MessageQueue& mq,
                                      const std::string& dead_queue,
                                      const std::vector<std::string>& ids) {
  absl::StatusOr<QueueDepth> depth = mq.Depth(dead_queue);
  if (absl::IsNotFound(depth.status())) return 0;
  if (!depth.ok()) return depth.status();

  // Held (unselected) messages stay unacked until the end, so Get never sees
  // them again; the depth bound also ignores messages that arrive meanwhile.
  std::vector<Delivery> held;
  int replayed = 0;
  for (int64_t i = 0; i < depth->ready; ++i) {
    absl::StatusOr<std::optional<Delivery>> got = mq.Get(dead_queue);
    if (!got.ok()) {
      (void)RequeueAll(mq, held);
      return Annotate(got.status(), absl::StrCat("after replaying ", replayed));
    }
    if (!got->has_value()) break;
    Delivery d = std::move(**got);
    const std::string id = MessageRequestId(d.message_id, d.body);
    const std::string original = HeaderOr(d.headers, kHeaderOriginalQueue);
    const bool selected =
        ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
    if (!selected || original.empty()) {
      if (selected) {
        EBB_LOG_WARN("dead letter '{}' in {} has no {} header; left in place",
                     id, dead_queue, kHeaderOriginalQueue);
      }
      held.push_back(std::move(d));
      continue;
    }
    OutgoingMessage out;
    out.body = d.body;
    out.message_id = d.message_id;
    out.headers = d.headers;
    out.headers.erase(kHeaderDeadReason);
    out.headers.erase(kHeaderOriginalQueue);
    out.headers.insert_or_assign(kHeaderAttempt, std::string("0"));
    absl::Status s = mq.Publish(original, out);
    if (s.ok()) s = mq.Ack(d);
    if (!s.ok()) {
      held.push_back(std::move(d));
      (void)RequeueAll(mq, held);
      return Annotate(s, absl::StrCat("while replaying '", id, "' to ",
                                      original, " after replaying ", replayed));
    }
    ++replayed;
  }
  EBB_RETURN_IF_ERROR(Annotate(RequeueAll(mq, held),
                               "while returning unselected dead letters"));
  return replayed;
}

}  // namespace ebb::queue
