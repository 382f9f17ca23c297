// SPDX-License-Identifier: Apache-2.0
#include "common/names.h"

#include "absl/strings/str_cat.h"

namespace ebb {
namespace {

bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// The value as shown in an error: quoted, at most 64 characters, with control
// characters and non-ASCII bytes escaped so that a hostile name cannot forge
// log lines.
std::string Shown(const std::string& value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > 64) out += "...";
  return out + "\"";
}

// Empty when `label` (a part of a name) follows the label rule.
std::string LabelProblem(const std::string& label) {
  if (label.empty()) return "is empty";
  for (char c : label) {
    if (!Alnum(c) && c != '-') {
      return "may contain only lowercase letters, digits and '-'";
    }
  }
  if (!Alnum(label.front()) || !Alnum(label.back())) {
    return "must start and end with a lowercase letter or digit";
  }
  return "";
}

}  // namespace

absl::Status ValidateDns1123Label(const std::string& value,
                                  const std::string& what) {
  std::string problem = LabelProblem(value);
  if (problem.empty() && value.size() > kDns1123LabelMaxLength) {
    problem =
        absl::StrCat("is longer than ", kDns1123LabelMaxLength, " characters");
  }
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": ", Shown(value), " is not a valid name: it ",
                   problem, " (a DNS-1123 label, such as \"default\")"));
}

absl::Status ValidateDns1123Subdomain(const std::string& value,
                                      const std::string& what) {
  std::string problem;
  if (value.size() > kDns1123SubdomainMaxLength) {
    problem = absl::StrCat("is longer than ", kDns1123SubdomainMaxLength,
                           " characters");
  } else if (value.empty()) {
    problem = "is empty";
  } else {
    size_t start = 0;
    while (problem.empty()) {
      const size_t dot = value.find('.', start);
      const std::string label = value.substr(
          start, dot == std::string::npos ? std::string::npos : dot - start);
      problem = LabelProblem(label);
      if (!problem.empty() && label.empty()) {
        problem = "has an empty part between dots";
      } else if (!problem.empty() && label != value) {
        absl::StrAppend(&problem, " (in each dot-separated part)");
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": ", Shown(value), " is not a valid name: it ", problem,
      " (a DNS-1123 subdomain, such as \"stable-diff-job-x7k2p\")"));
}

}  // namespace ebb
