// SPDX-License-Identifier: Apache-2.0
#include "http/events.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace ebb::http {

void EventHub::Publish(const std::string& type, nlohmann::json data) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    Event e;
    e.seq = ++last_seq_;
    e.type = type;
    e.data = std::move(data);
    ring_.push_back(std::move(e));
    while (ring_.size() > std::max<size_t>(capacity_, 1)) ring_.pop_front();
  }
  cv_.notify_all();
}

std::vector<Event> EventHub::WaitAfter(uint64_t after_seq,
                                       absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto ready = [&] { return closed_ || last_seq_ > after_seq; };
  if (!ready() && timeout > absl::ZeroDuration()) {
    // A "forever" timeout would overflow wait_for's deadline.
    if (timeout >= absl::Hours(24 * 365)) {
      cv_.wait(lock, ready);
    } else {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), ready);
    }
  }
  std::vector<Event> out;
  if (closed_ || last_seq_ <= after_seq) return out;
  // The ring holds consecutive seqs ending at last_seq_: find the first >
  // after_seq.
  const uint64_t first = ring_.empty() ? last_seq_ + 1 : ring_.front().seq;
  const size_t skip =
      after_seq >= first ? static_cast<size_t>(after_seq - first + 1) : 0;
  out.reserve(ring_.size() - skip);
  for (size_t i = skip; i < ring_.size(); ++i) out.push_back(ring_[i]);
  return out;
}

uint64_t EventHub::LastSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

void EventHub::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace ebb::http
