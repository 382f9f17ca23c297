// SPDX-License-Identifier: Apache-2.0
#include "common/clock.h"

namespace ebb {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* clock = new RealClock();
  return clock;
}

FakeClock::FakeClock() : now_(absl::FromUnixSeconds(1767225600)) {}
FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ = t;
}

}  // namespace ebb
