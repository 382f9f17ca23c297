// SPDX-License-Identifier: Apache-2.0
//
// File: common/clock.h
//
// Time is injected: polling intervals, cooldowns, leases and job timeouts read
// a Clock, and tests advance a FakeClock instead of sleeping.
//
// Thread-safety: every Clock method may be called from any thread.
#ifndef EBB_COMMON_CLOCK_H_
#define EBB_COMMON_CLOCK_H_

#include <condition_variable>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ebb {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current wall-clock time.
  virtual absl::Time Now() const = 0;

  // The process-wide real clock. Never null; never destroyed.
  static Clock* Real();
};

// A clock that only moves when told to. Starts at 2026-01-01T00:00:00Z unless
// given another start.
class FakeClock : public Clock {
 public:
  FakeClock();
  explicit FakeClock(absl::Time start);
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

}  // namespace ebb

#endif  // EBB_COMMON_CLOCK_H_
