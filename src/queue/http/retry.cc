// SPDX-License-Identifier: Apache-2.0
#include "queue/http/retry.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ebb::queue {
namespace {

absl::Status ReadEnv(const char* name, absl::Duration unit,
                     absl::Duration& out) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return absl::OkStatus();
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, "=\"", v, "\": want a non-negative integer (",
        unit == absl::Seconds(1) ? "seconds" : "milliseconds", ")"));
  }
  out = n * unit;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RetryPolicy> WorkerRetryPolicyFromEnv() {
  RetryPolicy p;
  p.give_up_after = absl::Minutes(15);
  for (auto [name, unit, field] :
       {std::tuple{"EBB_QUEUE_RETRY_INITIAL_MS", absl::Milliseconds(1),
                   &p.initial_delay},
        std::tuple{"EBB_QUEUE_RETRY_MAX_DELAY_MS", absl::Milliseconds(1),
                   &p.max_delay},
        std::tuple{"EBB_QUEUE_RETRY_FOR_S", absl::Seconds(1),
                   &p.give_up_after}}) {
    if (absl::Status s = ReadEnv(name, unit, *field); !s.ok()) return s;
  }
  p.initial_delay = std::max(p.initial_delay, absl::Milliseconds(1));
  p.max_delay = std::max(p.max_delay, p.initial_delay);
  return p;
}

Backoff::Backoff(const RetryPolicy& policy)
    : policy_(policy),
      current_(std::max(policy.initial_delay, absl::Milliseconds(1))),
      rng_(std::random_device{}()) {}

absl::Duration Backoff::Next() {
  const absl::Duration base = std::min(current_, policy_.max_delay);
  current_ = std::min(current_ * 2, policy_.max_delay);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return base * jitter(rng_);
}

}  // namespace ebb::queue
