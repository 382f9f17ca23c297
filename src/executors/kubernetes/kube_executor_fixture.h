// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/kube_executor_fixture.h
//
// A KubernetesExecutor talking to a fresh API server double.
#ifndef EBB_EXECUTORS_KUBERNETES_KUBE_EXECUTOR_FIXTURE_H_
#define EBB_EXECUTORS_KUBERNETES_KUBE_EXECUTOR_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>

#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::testing {

class KubeExecutorTest : public ::testing::Test {
 protected:
  static constexpr char kNs[] = "stable-diff";
  static constexpr char kSj[] = "stable-diff-job";

  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }
  KubernetesExecutor& Executor() {
    if (!executor_) {
      KubernetesExecutorOptions o;
      o.config.server = server_.url();
      executor_ = std::make_unique<KubernetesExecutor>(o);
    }
    return *executor_;
  }
  // The executor's jobs of the seed ScaledJob; empty on error.
  std::vector<Job> Jobs() {
    auto jobs = Executor().List(kNs, kSj);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    return jobs.ok() ? *jobs : std::vector<Job>{};
  }
  size_t Count() { return Jobs().size(); }
  // After the first List: waits until the jobs and pods watches are open.
  bool WaitWatching() {
    return WaitFor([&] { return server_.OpenWatches() >= 2; });
  }
  // The stored job object named `name`.
  nlohmann::json Stored(const std::string& name) {
    return server_.store().Get("jobs", kNs, name).value_or(nullptr);
  }
  // A Job created behind the executor's back (another controller, kubectl).
  std::string CreateElsewhere() {
    auto job = server_.store().Create(
        "jobs", kNs,
        {{"metadata",
          {{"generateName", "other-"},
           {"labels", {{"scaledjob.keda.sh/name", kSj}}}}},
         {"spec", nlohmann::json::object()}});
    return (*job)["metadata"]["name"];
  }

  FakeApiServer server_;
  std::unique_ptr<KubernetesExecutor> executor_;
};

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_KUBE_EXECUTOR_FIXTURE_H_
