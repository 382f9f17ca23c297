// SPDX-License-Identifier: Apache-2.0
#include "worker/outcome.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"

namespace ebb::worker {

std::string OutcomeOf(const WorkerStats& stats) {
  const std::vector<std::pair<int, const char*>> counts = {
      {stats.done, "done"},
      {stats.failed, "failed"},
      {stats.retried, "retried"},
      {stats.invalid, "dead-lettered"}};
  std::vector<std::string> parts;
  int kinds = 0, total = 0;
  for (const auto& [n, name] : counts) {
    if (n <= 0) continue;
    ++kinds;
    total += n;
    parts.push_back(absl::StrCat(n, " ", name));
  }
  if (kinds == 0) return "no message";
  if (total == 1) {
    for (const auto& [n, name] : counts) {
      if (n > 0) return name;
    }
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status WriteOutcome(const WorkerStats& stats) {
  const char* path = std::getenv(kTerminationMessagePathEnv);
  if (path == nullptr || *path == '\0') return absl::OkStatus();
  absl::Status s = WriteFileAtomic(path, OutcomeOf(stats) + "\n");
  if (s.ok()) return s;
  return absl::InternalError(absl::StrCat(
      "cannot write the termination message to ", path, ": ", s.message()));
}

}  // namespace ebb::worker
