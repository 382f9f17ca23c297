// SPDX-License-Identifier: Apache-2.0
#include "worker/attempts.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ebb::worker {
namespace {

constexpr int64_t kMaxCount = int64_t{1} << 20;

int64_t IntHeaderOr0(const queue::Delivery& d, const char* name) {
  auto it = d.headers.find(name);
  int64_t v = 0;
  if (it == d.headers.end() || !absl::SimpleAtoi(it->second, &v)) return 0;
  return std::clamp<int64_t>(v, 0, kMaxCount);
}

}  // namespace

AttemptCount CountAttempts(const queue::Delivery& d) {
  AttemptCount c;
  int64_t died = IntHeaderOr0(d, queue::kHeaderDeliveryCount);
  if (died == 0 && d.redelivered) died = 1;
  c.died = static_cast<int>(died);
  c.made = static_cast<int>(
      std::min(kMaxCount, IntHeaderOr0(d, queue::kHeaderAttempt) + c.died));
  if (c.died > 0) {
    c.last_error = c.died == 1
                       ? "worker died while processing (redelivered)"
                       : absl::StrCat("worker died while processing (", c.died,
                                      " deliveries without ack)");
  } else if (auto it = d.headers.find(queue::kHeaderLastError);
             it != d.headers.end()) {
    c.last_error = it->second;
  }
  return c;
}

absl::Duration RetryDelay(int attempt, absl::Duration base,
                          absl::Duration max) {
  if (base <= absl::ZeroDuration()) return absl::ZeroDuration();
  absl::Duration d = base;
  for (int i = 1; i < attempt && d < max; ++i) d *= 2;
  return std::min(d, max);
}

bool IsPermanentFailure(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsOutOfRange(s) ||
         absl::IsUnimplemented(s);
}

absl::StatusOr<absl::Duration> ParseBackoff(const std::string& what,
                                            const std::string& value) {
  absl::Duration d;
  if (value == "0") return absl::ZeroDuration();
  if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, "=\"", value,
        "\": want a duration such as 5s, 250ms or 0 (no delay between "
        "retries)"));
  }
  return d;
}

}  // namespace ebb::worker
