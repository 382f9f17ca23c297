// SPDX-License-Identifier: Apache-2.0
//
// ClusterManifestSource against the API server double: the seed's objects
// become manifests; status writes do not reload; spec changes do.
#include "executors/kubernetes/cluster/cluster_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "executors/kubernetes/cluster/cluster_test_util.h"
#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/testing/api_double_fixture.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;
using kubernetes::testing::FakeApiServer;
using kubernetes::testing::WaitFor;
using testing::kSeedJob;
using testing::kSeedNs;

class ClusterSourceTest : public kubernetes::testing::ApiDoubleTest {
 protected:
  void StartSource() {
    ClusterSourceOptions o;
    o.namespaces = {kSeedNs};
    source_ = std::make_unique<ClusterManifestSource>(client_.get(), o);
    source_->Start([this](const ClusterUpdate& u) {
      std::lock_guard<std::mutex> lock(mu_);
      updates_.push_back(u);
    });
  }
  size_t UpdateCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_.size();
  }
  ClusterUpdate Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_.back();
  }
  std::string Path() {
    return testing::CollectionPath("ScaledJob", kSeedNs) + "/" + kSeedJob;
  }

  std::unique_ptr<ClusterManifestSource> source_;
  std::mutex mu_;
  std::deque<ClusterUpdate> updates_;
};

TEST_F(ClusterSourceTest, SeedObjectsBecomeRunnableManifests) {
  ASSERT_TRUE(testing::CreateSeed(*client_));
  StartSource();
  ASSERT_TRUE(source_->WaitFirstUpdate(absl::Seconds(10)).ok());
  ClusterUpdate u = Last();
  EXPECT_TRUE(u.manifests_changed);
  EXPECT_EQ(u.restart, std::set<std::string>{kSeedJob});
  ASSERT_EQ(u.state->manifests.scaled_jobs.size(), 1u);
  const auto stored = server_.store().Get("scaledjobs", kSeedNs, kSeedJob);
  EXPECT_EQ(u.state->manifests.scaled_jobs[0].uid,
            (*stored)["metadata"]["uid"]);
  EXPECT_EQ(u.state->manifests.scaled_jobs[0].generation, 1);
  // The Secret came back base64-encoded in `data`, as from a real server.
  bool found = false;
  for (const auto& s : u.state->manifests.secrets) {
    if (s.name == "stablediff-rabbitmq") {
      found = s.data.at("host") == "amqp://guest:guest@127.0.0.1:5672/";
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ClusterSourceTest, StatusWritesDoNotReloadSpecChangesDo) {
  ASSERT_TRUE(testing::CreateSeed(*client_));
  StartSource();
  ASSERT_TRUE(source_->WaitFirstUpdate(absl::Seconds(10)).ok());
  const size_t first = UpdateCount();

  ASSERT_TRUE(
      client_
          ->Request(
              "PATCH", Path() + "/status",
              {{"status",
                {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}})
          .ok());
  ASSERT_TRUE(WaitFor([&] { return UpdateCount() > first; }));
  EXPECT_FALSE(Last().manifests_changed);
  EXPECT_TRUE(Last().restart.empty());
  EXPECT_EQ(Last().state->scaled_jobs[0].conditions[0]["status"], "True");

  const size_t second = UpdateCount();
  auto sj = client_->Request("GET", Path());
  ASSERT_TRUE(sj.ok());
  (*sj)["spec"]["maxReplicaCount"] = 2;
  ASSERT_TRUE(client_->Request("PUT", Path(), *sj).ok());
  ASSERT_TRUE(WaitFor([&] { return UpdateCount() > second; }));
  EXPECT_TRUE(Last().manifests_changed);
  EXPECT_EQ(Last().restart, std::set<std::string>{kSeedJob});
  EXPECT_EQ(Last().state->manifests.scaled_jobs[0].generation, 2);
  EXPECT_EQ(Last().state->manifests.scaled_jobs[0].max_replica_count, 2);
}

// Nothing is delivered until every kind has been listed: a ScaledJob seen
// before its Secrets must not be reported as broken.
TEST_F(ClusterSourceTest, WaitsForEveryListBeforeTheFirstUpdate) {
  ASSERT_TRUE(testing::CreateSeed(*client_));
  server_.Deny("list", "secrets");
  StartSource();
  absl::Status s = source_->WaitFirstUpdate(absl::Milliseconds(500));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("secrets in namespace \"stable-diff\""));
  EXPECT_EQ(UpdateCount(), 0u);
  server_.Allow("list", "secrets");
  ASSERT_TRUE(source_->WaitFirstUpdate(absl::Seconds(20)).ok());
  EXPECT_TRUE(Last().state->problems.empty());
  EXPECT_EQ(Last().state->manifests.scaled_jobs.size(), 1u);
}

TEST_F(ClusterSourceTest, DeletedScaledJobLeavesTheManifests) {
  ASSERT_TRUE(testing::CreateSeed(*client_));
  StartSource();
  ASSERT_TRUE(source_->WaitFirstUpdate(absl::Seconds(10)).ok());
  ASSERT_TRUE(client_->Request("DELETE", Path()).ok());
  ASSERT_TRUE(WaitFor([&] { return Last().state->scaled_jobs.empty(); }));
  EXPECT_TRUE(Last().manifests_changed);
  EXPECT_TRUE(Last().state->manifests.scaled_jobs.empty());
}

}  // namespace
}  // namespace ebb::executors::kubernetes::cluster
