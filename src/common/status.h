// SPDX-License-Identifier: Apache-2.0
//
// File: common/status.h
//
// ebb reports expected failures (a broker that is down, a bad manifest, an S3
// 5xx) as absl::Status / absl::StatusOr<T> with the canonical codes, and never
// throws across its own module boundaries. Adapters around throwing libraries
// (yaml-cpp, nlohmann-json) catch at their edge and convert once.
//
// Debian 12's abseil predates absl/status/status_macros.h, so the two
// propagation macros are defined here:
//
//   EBB_RETURN_IF_ERROR(expr);            // returns expr's Status if not ok
//   EBB_ASSIGN_OR_RETURN(auto x, expr);   // unwraps a StatusOr or returns its
//   Status
//
// Annotate() adds context on the way up ("while polling trigger rabbitmq/tasks:
// ...") while keeping the original code.
#ifndef EBB_COMMON_STATUS_H_
#define EBB_COMMON_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ebb {

// Returns `status` with "context: " prepended to its message, same code.
// An OK status is returned unchanged.
absl::Status Annotate(const absl::Status& status, std::string_view context);

}  // namespace ebb

#define EBB_STATUS_CONCAT_INNER_(a, b) a##b
#define EBB_STATUS_CONCAT_(a, b) EBB_STATUS_CONCAT_INNER_(a, b)

#define EBB_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status ebb_status_ = (expr);       \
    if (!ebb_status_.ok()) return ebb_status_; \
  } while (0)

#define EBB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#define EBB_ASSIGN_OR_RETURN(lhs, expr)                                        \
  EBB_ASSIGN_OR_RETURN_IMPL_(EBB_STATUS_CONCAT_(ebb_statusor_, __LINE__), lhs, \
                             expr)

#endif  // EBB_COMMON_STATUS_H_
