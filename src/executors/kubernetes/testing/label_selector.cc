// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/testing/label_selector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ebb::executors::kubernetes::testing {
namespace {

// Splits on commas outside parentheses.
std::vector<std::string> SplitTopLevel(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string Strip(absl::string_view s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector sel;
  if (Strip(text).empty()) return sel;
  for (const std::string& raw : SplitTopLevel(text)) {
    const std::string part = Strip(raw);
    Requirement r;
    size_t pos;
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse requirement: empty in \"", text, "\""));
    } else if (part[0] == '!') {
      r.key = Strip(part.substr(1));
      r.op = Op::kNotExists;
    } else if ((pos = part.find("!=")) != std::string::npos) {
      r.key = Strip(part.substr(0, pos));
      r.op = Op::kNotEq;
      r.values = {Strip(part.substr(pos + 2))};
    } else if ((pos = part.find("==")) != std::string::npos) {
      r.key = Strip(part.substr(0, pos));
      r.op = Op::kEq;
      r.values = {Strip(part.substr(pos + 2))};
    } else if ((pos = part.find('=')) != std::string::npos) {
      r.key = Strip(part.substr(0, pos));
      r.op = Op::kEq;
      r.values = {Strip(part.substr(pos + 1))};
    } else if ((pos = part.find('(')) != std::string::npos) {
      std::vector<std::string> words =
          absl::StrSplit(Strip(part.substr(0, pos)), ' ', absl::SkipEmpty());
      if (words.size() != 2 || part.back() != ')' ||
          (words[1] != "in" && words[1] != "notin")) {
        return absl::InvalidArgumentError(
            absl::StrCat("unable to parse requirement: \"", part, "\""));
      }
      r.key = words[0];
      r.op = words[1] == "in" ? Op::kIn : Op::kNotIn;
      const std::string inner = part.substr(pos + 1, part.size() - pos - 2);
      for (absl::string_view v : absl::StrSplit(inner, ',')) {
        r.values.push_back(Strip(v));
      }
    } else {
      r.key = part;
      r.op = Op::kExists;
    }
    if (r.key.empty() || r.key.find(' ') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse requirement: \"", part, "\""));
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::Matches(
    const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in_values = has && std::find(r.values.begin(), r.values.end(),
                                            it->second) != r.values.end();
    switch (r.op) {
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
      case Op::kEq:
      case Op::kIn:
        if (!in_values) return false;
        break;
      case Op::kNotEq:
      case Op::kNotIn:
        if (in_values) return false;
        break;
    }
  }
  return true;
}

}  // namespace ebb::executors::kubernetes::testing
