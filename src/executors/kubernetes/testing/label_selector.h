// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/testing/label_selector.h
//
// Kubernetes label selectors as the API server parses `?labelSelector=`:
// equality-based (`a=b`, `a==b`, `a!=b`), set-based (`a in (x,y)`,
// `a notin (x)`) and existence (`a`, `!a`), comma-separated, all ANDed.
// Used by the API server double; plain data, thread-compatible.
#ifndef EBB_EXECUTORS_KUBERNETES_TESTING_LABEL_SELECTOR_H_
#define EBB_EXECUTORS_KUBERNETES_TESTING_LABEL_SELECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::executors::kubernetes::testing {

class LabelSelector {
 public:
  // "" selects everything. InvalidArgument, naming the bad requirement, for
  // a selector the API server would reject (400).
  static absl::StatusOr<LabelSelector> Parse(const std::string& text);
  bool Matches(const std::map<std::string, std::string>& labels) const;

 private:
  enum class Op { kExists, kNotExists, kEq, kNotEq, kIn, kNotIn };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_TESTING_LABEL_SELECTOR_H_
