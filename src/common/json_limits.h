// SPDX-License-Identifier: Apache-2.0
//
// File: common/json_limits.h
//
// A cheap, non-recursive look at untrusted JSON before it reaches
// nlohmann-json, whose parser recurses once per nesting level: a body nested
// ~100,000 levels deep overflows the stack and kills the process. Callers
// check the depth here first and refuse what is too deep.
//
// Pure functions; thread-safe.
#ifndef EBB_COMMON_JSON_LIMITS_H_
#define EBB_COMMON_JSON_LIMITS_H_

#include <string_view>

namespace ebb {

// Nesting depth a message body may have before ebb parses it (a task is a
// flat object; headers and records are shallow too).
inline constexpr int kMaxJsonNesting = 32;

// The deepest nesting of arrays/objects in `json` ("1" is 0, "[[]]" is 2),
// counting no further than `stop_above` + 1: the scan stops there. Strings
// and their escapes are skipped; the JSON is not validated otherwise.
// Constant stack, O(size).
int JsonNestingDepth(std::string_view json, int stop_above = kMaxJsonNesting);

// Whether `json` nests at most `max_depth` deep (safe to hand to the parser).
inline bool JsonNestingWithin(std::string_view json,
                              int max_depth = kMaxJsonNesting) {
  return JsonNestingDepth(json, max_depth) <= max_depth;
}

}  // namespace ebb

#endif  // EBB_COMMON_JSON_LIMITS_H_
