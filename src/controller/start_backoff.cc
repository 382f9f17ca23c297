// SPDX-License-Identifier: Apache-2.0
#include "controller/start_backoff.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace ebb::controller {

void StartBackoff::Observe(const std::vector<executors::Job>& jobs,
                           absl::Time now) {
  std::set<std::string> listed;
  bool started = false;
  for (const executors::Job& j : jobs) {
    listed.insert(j.name);
    std::string why;
    if (j.StartFailed(&why)) {
      if (!failed_.insert(j.name).second) continue;
      if (Holding(now)) continue;  // created before this backoff began
      delay_ = delay_ == absl::ZeroDuration() ? initial_
                                              : std::min(delay_ * 2, max_);
      until_ = now + delay_;
      reason_ = why.empty() ? "the container could not be started" : why;
    } else if (j.started != absl::InfinitePast()) {
      started = started_.insert(j.name).second || started;
    }
  }
  if (started) {  // a job started: whatever failed before was transient
    delay_ = absl::ZeroDuration();
    until_ = absl::InfinitePast();
    reason_.clear();
  }
  // Forget jobs that are gone, so the sets stay as small as the listing.
  for (std::set<std::string>* seen : {&failed_, &started_}) {
    for (auto it = seen->begin(); it != seen->end();) {
      it = listed.count(*it) ? std::next(it) : seen->erase(it);
    }
  }
}

std::string StartBackoff::Describe(absl::Time now) const {
  if (!Holding(now)) return "";
  return absl::StrCat(
      "jobs fail to start (", reason_, "): creating none for ",
      absl::FormatDuration(absl::Ceil(until_ - now, absl::Seconds(1))),
      " (backoff ", absl::FormatDuration(delay_), ", doubling to ",
      absl::FormatDuration(max_), "; see `ebb logs <job>`)");
}

}  // namespace ebb::controller
