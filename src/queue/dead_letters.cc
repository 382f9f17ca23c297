// SPDX-License-Identifier: Apache-2.0
#include "queue/dead_letters.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/json_limits.h"
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
  if (!JsonNestingWithin(body)) return "";  // the parser would recurse
  nlohmann::json j = nlohmann::json::parse(body, nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("id");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

void StripBrokerHeaders(std::map<std::string, std::string>& headers) {
  for (auto it = headers.begin(); it != headers.end();) {
    const std::string& k = it->first;
    if (k == kHeaderDeliveryCount || k == "x-death" ||
        k.rfind("x-first-death-", 0) == 0 || k.rfind("x-last-death-", 0) == 0) {
      it = headers.erase(it);
    } else {
      ++it;
    }
  }
}

std::string DerivedMessageId(const std::string& body) {
  return absl::StrCat("msg-", absl::Hex(StableHash(body), absl::kZeroPad16));
}

std::string DeadLetterId(const std::string& message_id,
                         const std::string& body) {
  std::string id = MessageRequestId(message_id, body);
  return id.empty() ? DerivedMessageId(body) : id;
}

absl::Status DeadLetter(MessageQueue& mq, const Delivery& d,
                        const std::string& dead_queue,
                        const std::string& reason) {
  OutgoingMessage out;
  out.body = d.body;
  out.message_id = d.message_id;
  if (MessageRequestId(d.message_id, d.body).empty()) {
    out.message_id = DerivedMessageId(d.body);
  }
  out.headers = d.headers;
  StripBrokerHeaders(out.headers);
  out.headers[kHeaderDeadReason] = reason;
  out.headers[kHeaderOriginalQueue] =
      HeaderOr(d.headers, kHeaderOriginalQueue, d.queue);
  EBB_RETURN_IF_ERROR(Annotate(mq.Publish(dead_queue, out),
                               "while dead-lettering to " + dead_queue));
  EBB_LOG_WARN("dead-lettered message '{}' from {} to {}: {}",
               MessageRequestId(out.message_id, d.body), d.queue, dead_queue,
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
    e.id = DeadLetterId(d.message_id, d.body);
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

namespace {

// Takes each dead letter ready when it starts (at most that many) and applies
// `act` to those whose id is in `ids` (all when empty) and that pass
// `eligible`; `act` settles the delivery (acks it) on success. The others are
// held unacked until the end, so Get never sees them again, then requeued.
// Returns how many `act` handled. `verb` names the action in errors.
absl::StatusOr<int> ForSelectedDeadLetters(
    MessageQueue& mq, const std::string& dead_queue,
    const std::vector<std::string>& ids, const char* verb,
    const std::function<bool(const Delivery&, const std::string& id)>& eligible,
    const std::function<absl::Status(const Delivery&)>& act) {
  absl::StatusOr<QueueDepth> depth = mq.Depth(dead_queue);
  if (absl::IsNotFound(depth.status())) return 0;
  if (!depth.ok()) return depth.status();
  std::vector<Delivery> held;
  int done = 0;
  for (int64_t i = 0; i < depth->ready; ++i) {
    absl::StatusOr<std::optional<Delivery>> got = mq.Get(dead_queue);
    if (!got.ok()) {
      (void)RequeueAll(mq, held);
      return Annotate(got.status(), absl::StrCat("after ", verb, " ", done));
    }
    if (!got->has_value()) break;
    Delivery d = std::move(**got);
    const std::string id = DeadLetterId(d.message_id, d.body);
    const bool selected =
        ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
    if (!selected || !eligible(d, id)) {
      held.push_back(std::move(d));
      continue;
    }
    absl::Status s = act(d);
    if (!s.ok()) {
      held.push_back(std::move(d));
      (void)RequeueAll(mq, held);
      return Annotate(s, absl::StrCat("while ", verb, " '", id, "' after ",
                                      verb, " ", done));
    }
    ++done;
  }
  EBB_RETURN_IF_ERROR(Annotate(RequeueAll(mq, held),
                               "while returning unselected dead letters"));
  return done;
}

}  // namespace

absl::StatusOr<int> ReplayDeadLetters(MessageQueue& mq,
                                      const std::string& dead_queue,
                                      const std::vector<std::string>& ids) {
  auto has_origin = [&](const Delivery& d, const std::string& id) {
    if (!HeaderOr(d.headers, kHeaderOriginalQueue).empty()) return true;
    EBB_LOG_WARN("dead letter '{}' in {} has no {} header; left in place", id,
                 dead_queue, kHeaderOriginalQueue);
    return false;
  };
  auto replay = [&](const Delivery& d) {
    OutgoingMessage out;
    out.body = d.body;
    out.message_id = d.message_id;
    out.headers = d.headers;
    StripBrokerHeaders(out.headers);
    out.headers.erase(kHeaderDeadReason);
    out.headers.erase(kHeaderOriginalQueue);
    out.headers.insert_or_assign(kHeaderAttempt, std::string("0"));
    EBB_RETURN_IF_ERROR(
        mq.Publish(HeaderOr(d.headers, kHeaderOriginalQueue), out));
    return mq.Ack(d);
  };
  return ForSelectedDeadLetters(mq, dead_queue, ids, "replaying", has_origin,
                                replay);
}

absl::StatusOr<int> DiscardDeadLetters(MessageQueue& mq,
                                       const std::string& dead_queue,
                                       const std::vector<std::string>& ids) {
  auto any = [](const Delivery&, const std::string&) { return true; };
  auto discard = [&](const Delivery& d) {
    EBB_RETURN_IF_ERROR(mq.Ack(d));
    EBB_LOG_INFO("discarded dead letter '{}' from {}",
                 DeadLetterId(d.message_id, d.body), dead_queue);
    return absl::OkStatus();
  };
  return ForSelectedDeadLetters(mq, dead_queue, ids, "discarding", any,
                                discard);
}

}  // namespace ebb::queue
