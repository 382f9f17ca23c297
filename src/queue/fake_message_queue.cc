// SPDX-License-Identifier: Apache-2.0
#include "queue/fake_message_queue.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ebb::queue {
namespace {

absl::Status BrokerDown() { return absl::UnavailableError("broker down"); }

}  // namespace

absl::Status FakeMessageQueue::CheckInjected(Op op) {
  if (unavailable_) return BrokerDown();
  auto it = injected_.find(op);
  if (it == injected_.end() || it->second.empty()) return absl::OkStatus();
  absl::Status s = std::move(it->second.front());
  it->second.pop_front();
  return s;
}

Delivery FakeMessageQueue::ToDelivery(const std::string& queue,
                                      const Message& m, uint64_t tag) {
  Delivery d;
  d.delivery_tag = tag;
  d.queue = queue;
  d.body = m.body;
  d.message_id = m.message_id;
  d.headers = m.headers;
  d.redelivered = m.redelivered;
  return d;
}

Delivery FakeMessageQueue::TakeHead(const std::string& name, QueueState& q) {
  Message m = std::move(q.ready.front());
  q.ready.pop_front();
  const uint64_t tag = next_tag_++;
  Delivery d = ToDelivery(name, m, tag);
  unacked_.emplace(tag, Unacked{name, std::move(m)});
  return d;
}

absl::Status FakeMessageQueue::Publish(const std::string& queue,
                                       const OutgoingMessage& msg) {
  absl::MutexLock lock(&mu_);
  if (queue.empty()) return absl::InvalidArgumentError("empty queue name");
  if (absl::Status s = CheckInjected(Op::kPublish); !s.ok()) return s;
  QueueState& q = queues_[queue];  // declared durable when missing
  q.ready.push_back(Message{msg.body, msg.message_id, msg.content_type,
                            msg.headers, /*redelivered=*/false});
  ++q.published;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Delivery>> FakeMessageQueue::Take(
    const std::string& queue, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (queue.empty()) return absl::InvalidArgumentError("empty queue name");
  if (absl::Status s = CheckInjected(Op::kTake); !s.ok()) return s;
  queues_[queue].consumed = true;
  auto ready = [this, &queue]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (unavailable_) return true;
    auto it = queues_.find(queue);
    return it != queues_.end() && !it->second.ready.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (unavailable_) return BrokerDown();
  auto it = queues_.find(queue);
  if (it == queues_.end() || it->second.ready.empty()) {
    return std::optional<Delivery>();
  }
  return std::optional<Delivery>(TakeHead(queue, it->second));
}

absl::Status FakeMessageQueue::Ack(const Delivery& d) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckInjected(Op::kAck); !s.ok()) return s;
  if (unacked_.erase(d.delivery_tag) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown delivery tag ", d.delivery_tag));
  }
  return absl::OkStatus();
}

absl::Status FakeMessageQueue::Nack(const Delivery& d, bool requeue) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckInjected(Op::kNack); !s.ok()) return s;
  auto it = unacked_.find(d.delivery_tag);
  if (it == unacked_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown delivery tag ", d.delivery_tag));
  }
  if (requeue) {
    Message m = std::move(it->second.message);
    m.redelivered = true;
    queues_[it->second.queue].ready.push_front(std::move(m));
  }
  unacked_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<QueueDepth> FakeMessageQueue::Depth(const std::string& queue) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckInjected(Op::kDepth); !s.ok()) return s;
  auto it = queues_.find(queue);
  if (it == queues_.end()) {
    return absl::NotFoundError(absl::StrCat("queue '", queue, "' not found"));
  }
  QueueDepth depth;
  depth.ready = static_cast<int64_t>(it->second.ready.size());
  depth.consumers = it->second.consumed ? 1 : 0;
  return depth;
}

absl::StatusOr<std::vector<Delivery>> FakeMessageQueue::Browse(
    const std::string& queue, int max) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckInjected(Op::kBrowse); !s.ok()) return s;
  auto it = queues_.find(queue);
  if (it == queues_.end()) {
    return absl::NotFoundError(absl::StrCat("queue '", queue, "' not found"));
  }
  std::vector<Delivery> out;
  for (const Message& m : it->second.ready) {
    if (static_cast<int>(out.size()) >= max) break;
    out.push_back(ToDelivery(queue, m, 0));
  }
  return out;
}

absl::StatusOr<std::optional<Delivery>> FakeMessageQueue::Get(
    const std::string& queue) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckInjected(Op::kGet); !s.ok()) return s;
  auto it = queues_.find(queue);
  if (it == queues_.end()) {
    return absl::NotFoundError(absl::StrCat("queue '", queue, "' not found"));
  }
  if (it->second.ready.empty()) return std::optional<Delivery>();
  return std::optional<Delivery>(TakeHead(queue, it->second));
}

void FakeMessageQueue::DeclareQueue(const std::string& queue, bool durable) {
  absl::MutexLock lock(&mu_);
  if (queues_.count(queue) != 0) return;
  queues_[queue].durable = durable;
}

bool FakeMessageQueue::QueueExists(const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  return queues_.count(queue) != 0;
}

bool FakeMessageQueue::IsDurable(const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(queue);
  return it != queues_.end() && it->second.durable;
}

void FakeMessageQueue::SimulateConnectionLoss() {
  absl::MutexLock lock(&mu_);
  // Walk newest first so that pushing to the front keeps delivery order.
  for (auto it = unacked_.rbegin(); it != unacked_.rend(); ++it) {
    Message m = std::move(it->second.message);
    m.redelivered = true;
    queues_[it->second.queue].ready.push_front(std::move(m));
  }
  unacked_.clear();
  for (auto& [name, q] : queues_) q.consumed = false;
}

void FakeMessageQueue::FailNext(Op op, absl::Status status, int times) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < times; ++i) injected_[op].push_back(status);
}

void FakeMessageQueue::FailNextPublish(absl::Status status) {
  FailNext(Op::kPublish, std::move(status));
}

void FakeMessageQueue::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

int64_t FakeMessageQueue::ReadyCount(const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0
                             : static_cast<int64_t>(it->second.ready.size());
}

int64_t FakeMessageQueue::UnackedCount(const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const auto& [tag, u] : unacked_) n += (u.queue == queue) ? 1 : 0;
  return n;
}

std::vector<Delivery> FakeMessageQueue::ReadyMessages(
    const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  std::vector<Delivery> out;
  auto it = queues_.find(queue);
  if (it == queues_.end()) return out;
  for (const Message& m : it->second.ready)
    out.push_back(ToDelivery(queue, m, 0));
  return out;
}

int64_t FakeMessageQueue::PublishedCount(const std::string& queue) const {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0 : it->second.published;
}

}  // namespace ebb::queue
