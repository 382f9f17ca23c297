// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/namespaced_executor.h"

#include <gtest/gtest.h>

#include "executors/fake_executor.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

JobRequest Request(const std::string& ns, const std::string& sj) {
  JobRequest r;
  r.namespace_ = ns;
  r.scaled_job = sj;
  return r;
}

// List("") means every watched namespace, never the whole cluster.
TEST(NamespacedExecutorTest, EveryJobMeansEveryWatchedNamespace) {
  FakeExecutor inner;
  std::vector<std::string> namespaces = {"a", "b"};
  NamespacedExecutor e(inner, [&] { return namespaces; });
  ASSERT_TRUE(e.Create(Request("a", "x")).ok());
  ASSERT_TRUE(e.Create(Request("b", "y")).ok());
  ASSERT_TRUE(e.Create(Request("c", "z")).ok());  // not watched
  auto all = e.List("", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(e.List("", "y")->size(), 1u);
  EXPECT_EQ(e.List("c", "")->size(), 1u);  // a named namespace goes through
  namespaces = {"a", "a"};                 // the set may change; no doubles
  EXPECT_EQ(e.List("", "")->size(), 1u);
  inner.FailNextList(absl::PermissionDeniedError("cannot list jobs"));
  EXPECT_EQ(e.List("", "").status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::cluster
