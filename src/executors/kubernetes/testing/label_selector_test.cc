// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/testing/label_selector.h"

#include <gtest/gtest.h>

namespace ebb::executors::kubernetes::testing {
namespace {

bool Match(const std::string& sel,
           const std::map<std::string, std::string>& labels) {
  auto s = LabelSelector::Parse(sel);
  EXPECT_TRUE(s.ok()) << sel;
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelectorTest, EqualityExistenceAndSetRequirementsAreAnded) {
  const std::map<std::string, std::string> l = {{"app", "sd"}, {"tier", "gpu"}};
  EXPECT_TRUE(Match("", l));
  EXPECT_TRUE(Match("app=sd", l));
  EXPECT_TRUE(Match("app==sd,tier", l));
  EXPECT_FALSE(Match("app=sd,tier!=gpu", l));
  EXPECT_TRUE(Match("!missing", l));
  EXPECT_FALSE(Match("missing", l));
  EXPECT_TRUE(Match("tier in (cpu, gpu),app notin (x)", l));
  EXPECT_FALSE(Match("tier notin (gpu)", l));
}

TEST(LabelSelectorTest, MalformedSelectorIsRejected) {
  EXPECT_FALSE(LabelSelector::Parse("a,,b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a between (x)").ok());
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
