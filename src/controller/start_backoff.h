// SPDX-License-Identifier: Apache-2.0
//
// File: controller/start_backoff.h
//
// Holds back job creation while a ScaledJob's jobs fail to start (their
// container cannot be exec'd: "Argument list too long", a missing binary):
// creating more of them only burns CPU and fills the job history. Each new
// start failure seen while no backoff is in force starts one: 10 s, doubling
// to 5 min. A job that starts resets it. Jobs that failed during a backoff
// (created before it) do not lengthen it.
//
// Threading: thread-compatible (the scale loop's thread only).
#ifndef EBB_CONTROLLER_START_BACKOFF_H_
#define EBB_CONTROLLER_START_BACKOFF_H_

#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "executors/executor.h"

namespace ebb::controller {

class StartBackoff {
 public:
  explicit StartBackoff(absl::Duration initial = absl::Seconds(10),
                        absl::Duration max = absl::Minutes(5))
      : initial_(initial), max_(max) {}

  // Feeds one listing of the ScaledJob's jobs, taken at `now`.
  void Observe(const std::vector<executors::Job>& jobs, absl::Time now);

  // True while creation is held back at `now`.
  bool Holding(absl::Time now) const { return now < until_; }
  absl::Time until() const { return until_; }
  absl::Duration delay() const { return delay_; }
  // The last start failure's message ("cannot run /bin/w: ..."); "" when the
  // last start succeeded or none failed.
  const std::string& reason() const { return reason_; }
  // One line for `ebb status`: "jobs fail to start (<reason>): creating none
  // for 20s (until ...)"; "" when not holding at `now`.
  std::string Describe(absl::Time now) const;

 private:
  const absl::Duration initial_, max_;
  absl::Duration delay_ = absl::ZeroDuration();  // 0: no failure streak
  absl::Time until_ = absl::InfinitePast();
  std::string reason_;
  // Jobs already taken into account, as failed to start and as started.
  std::set<std::string> failed_, started_;
};

}  // namespace ebb::controller

#endif  // EBB_CONTROLLER_START_BACKOFF_H_
