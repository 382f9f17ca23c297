// SPDX-License-Identifier: Apache-2.0
//
// File: common/strings.h
//
// Small string utilities shared by several components. Pure functions;
// thread-safe.
#ifndef EBB_COMMON_STRINGS_H_
#define EBB_COMMON_STRINGS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebb {

// Levenshtein distance between a and b (case-sensitive), in edits.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, for "did you mean" hints: case-insensitive
// edit distance at most max(2, |word| / 3). nullopt when nothing is that close.
std::optional<std::string> NearestMatch(
    std::string_view word, const std::vector<std::string>& candidates);

// Joins with ", " and quotes each: {"a","b"} -> "\"a\", \"b\"". For error
// messages that list allowed values.
std::string QuotedList(const std::vector<std::string>& values);

}  // namespace ebb

#endif  // EBB_COMMON_STRINGS_H_
