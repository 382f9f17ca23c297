// SPDX-License-Identifier: Apache-2.0
#include "executors/executor.h"

#include "absl/strings/numbers.h"

namespace ebb::executors {

std::string JobStateName(JobState s) {
  switch (s) {
    case JobState::kPending:
      return "pending";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
  }
  return "unknown";
}

int64_t Job::Generation() const {
  auto it = annotations.find("scaledjob.keda.sh/generation");
  if (it == annotations.end()) return 0;
  int64_t g = 0;
  if (!absl::SimpleAtoi(it->second, &g)) return 0;
  return g;
}

std::string Job::Outcome() const {
  for (const ContainerStatus& c : containers) {
    if (c.reason != kStartError && !c.message.empty()) return c.message;
  }
  return "";
}

bool Job::StartFailed(std::string* why) const {
  if (started != absl::InfinitePast()) return false;
  for (const ContainerStatus& c : containers) {
    if (c.reason != kStartError) continue;
    if (why != nullptr) *why = c.message;
    return true;
  }
  return false;
}

}  // namespace ebb::executors
