// SPDX-License-Identifier: Apache-2.0
//
// File: queue/embedded/embedded_queue_internal.h
//
// Helpers shared by the embedded queue's source files. Internal.
#ifndef EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_INTERNAL_H_
#define EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_INTERNAL_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"

namespace ebb::queue::embedded::internal {

// Headers <-> the JSON object stored in messages.headers.
std::string HeadersToJson(const std::map<std::string, std::string>& headers);
std::map<std::string, std::string> HeadersFromJson(const std::string& json);

// Whether `queue` is a dead-letter queue ("<queue>.dead").
bool IsDeadQueue(const std::string& queue);

// FailedPrecondition for a delivery tag that is unknown or whose lease
// expired.
absl::Status ExpiredTag(uint64_t tag);

// headers[key], or "" when absent.
std::string Header(const std::map<std::string, std::string>& headers,
                   const char* key);

// SQL expression of a row's request state (0 queued, 1 running, 2 done,
// 3 failed) for a table alias `m`; parameter ?1 is "now" in ms.
inline constexpr char kStateSql[] =
    "CASE WHEN m.state = 'dead' OR substr(m.queue, -5) = '.dead' THEN 3 "
    "WHEN m.state = 'acked' THEN 2 "
    "WHEN m.state = 'leased' AND m.lease_expires_ms > ?1 THEN 1 ELSE 0 END";

}  // namespace ebb::queue::embedded::internal

#endif  // EBB_QUEUE_EMBEDDED_EMBEDDED_QUEUE_INTERNAL_H_
