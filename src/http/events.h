// SPDX-License-Identifier: Apache-2.0
//
// File: http/events.h
//
// EventHub: the live event stream behind GET /api/v1/events (docs/api.md "Live
// events"). Producers (the controller's poll observer, the embedded queue's
// listener, the job watcher) Publish; each SSE connection waits for events
// after the last sequence number it sent. A bounded ring keeps the most recent
// events.
//
// Threading: all methods are thread-safe; WaitAfter blocks on a condition
// variable.
#ifndef EBB_HTTP_EVENTS_H_
#define EBB_HTTP_EVENTS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ebb::http {

struct Event {
  uint64_t seq = 0;  // 1, 2, ... in publish order
  std::string type;  // "request", "decision", "job", "queue"
  nlohmann::json data;
};

class EventHub {
 public:
  explicit EventHub(size_t capacity = 1024) : capacity_(capacity) {}
  void Publish(const std::string& type, nlohmann::json data);
  // Events with seq > after_seq, waiting up to `timeout` for the first one.
  // Empty on timeout or after Close(). Events that fell out of the ring are
  // skipped.
  std::vector<Event> WaitAfter(uint64_t after_seq, absl::Duration timeout);
  uint64_t LastSeq() const;
  // Wakes every waiter; later waits return at once. For shutdown.
  void Close();

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> ring_;
  uint64_t last_seq_ = 0;
  bool closed_ = false;
};

}  // namespace ebb::http

#endif  // EBB_HTTP_EVENTS_H_
