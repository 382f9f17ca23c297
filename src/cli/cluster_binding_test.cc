// SPDX-License-Identifier: Apache-2.0
//
// Cluster mode end to end against the API server double: the seed's
// ScaledJob created as a keda.sh/v1alpha1 object drives a Controller with the
// KubernetesExecutor (ClusterBinding), and its status and Events are written
// as KEDA writes them. The trigger is a stand-in "rabbitmq" whose queue
// length the test sets; polls are woken by the test (the seed polls every
// 5 s).
#include "cli/cluster_binding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "cli/up_cluster.h"
#include "executors/kubernetes/cluster/cluster_test_util.h"
#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/testing/fake_api_server.h"
#include "scalers/testing/fake_scaler.h"

namespace ebb::cli {
namespace {

using Json = nlohmann::json;
using executors::kubernetes::KubeConfig;
using executors::kubernetes::KubernetesExecutor;
using executors::kubernetes::KubernetesExecutorOptions;
using executors::kubernetes::cluster::testing::CollectionPath;
using executors::kubernetes::cluster::testing::CreateObject;
using executors::kubernetes::cluster::testing::CreateSeed;
using executors::kubernetes::cluster::testing::kSeedJob;
using executors::kubernetes::cluster::testing::kSeedNs;
using executors::kubernetes::cluster::testing::SeedObject;
using executors::kubernetes::testing::FakeApiServer;
using executors::kubernetes::testing::LabelSelector;
using executors::kubernetes::testing::WaitFor;
using ::testing::Contains;
using ::testing::HasSubstr;

// The fake queue under the seed's trigger type.
class FakeRabbitMqFactory : public scalers::FakeQueueScalerFactory {
 public:
  using FakeQueueScalerFactory::FakeQueueScalerFactory;
  std::string Type() const override { return "rabbitmq"; }
  std::vector<std::string> KnownMetadataKeys() const override {
    return {"protocol", "queueName", "mode", "value", "activationValue"};
  }
};

class ClusterBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    KubeConfig config;
    config.server = server_.url();
    client_ = std::make_unique<executors::kubernetes::KubeClient>(config);
    KubernetesExecutorOptions eo;
    eo.config = config;
    executor_ = std::make_unique<KubernetesExecutor>(eo);
    registry_.Register(std::make_unique<FakeRabbitMqFactory>(&queue_));
  }
  void TearDown() override {
    if (binding_) {
      binding_->StopSource();
      binding_->StopStatus();
    }
    if (ctl_) ctl_->Stop();
  }
  // Starts the source, the controller and the status writer, as `ebb up
  // --kubernetes` does.
  void StartEbb() {
    ClusterBinding::Options o;
    o.source.namespaces = {kSeedNs};
    o.source.check = ClusterModeCheck(registry_);
    o.status.retry = absl::Milliseconds(200);
    binding_ = std::make_unique<ClusterBinding>(client_.get(), o);
    ASSERT_TRUE(binding_->StartSource(absl::Seconds(10)).ok());
    controller::ControllerOptions copts;
    copts.on_poll = [this](const std::string& name,
                           const controller::PollRecord& r) {
      binding_->OnPoll(name, r);
      ++polls_;
    };
    auto ctl = controller::Controller::Create(binding_->manifests(), registry_,
                                              *executor_, metrics_, copts);
    ASSERT_TRUE(ctl.ok()) << ctl.status();
    ctl_ = std::move(ctl).value();
    ASSERT_TRUE(binding_->Attach(ctl_.get()).ok());
    ctl_->Start();
    binding_->StartStatus();
  }
  // Wakes every loop and waits for the poll.
  bool PollNow() {
    const int before = polls_.load();
    ctl_->Wake("");
    return WaitFor([&] { return polls_.load() > before; });
  }
  std::vector<Json> Jobs() {
    return server_.store().List("jobs", kSeedNs, LabelSelector());
  }
  Json ScaledJob() {
    return server_.store()
        .Get("scaledjobs", kSeedNs, kSeedJob)
        .value_or(Json(nullptr));
  }
  Json Condition(const std::string& name, const std::string& type) {
    auto sj = server_.store().Get("scaledjobs", kSeedNs, name);
    if (!sj || !sj->contains("status")) return nullptr;
    for (const Json& c : (*sj)["status"].value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }
  bool ConditionIs(const std::string& name, const std::string& type,
                   const std::string& status, const std::string& reason) {
    return WaitFor([&] {
      Json c = Condition(name, type);
      return !c.is_null() && c["status"] == status && c["reason"] == reason;
    });
  }
  // Reasons of the events about ScaledJob `name`.
  std::vector<std::string> Reasons(const std::string& name = kSeedJob) {
    std::vector<std::string> out;
    for (const Json& e :
         server_.store().List("events", kSeedNs, LabelSelector())) {
      if (e["involvedObject"]["name"] == name) out.push_back(e["reason"]);
    }
    return out;
  }
  bool HasEvent(const std::string& reason, const std::string& name = kSeedJob) {
    return WaitFor([&] {
      for (const std::string& r : Reasons(name)) {
        if (r == reason) return true;
      }
      return false;
    });
  }
  std::string SeedPath() {
    return CollectionPath("ScaledJob", kSeedNs) + "/" + kSeedJob;
  }

  FakeApiServer server_;
  std::unique_ptr<executors::kubernetes::KubeClient> client_;
  std::unique_ptr<KubernetesExecutor> executor_;
  scalers::ScalerRegistry registry_;
  metrics::Registry metrics_;
  std::atomic<double> queue_{0};
  std::atomic<int> polls_{0};
  std::unique_ptr<ClusterBinding> binding_;
  std::unique_ptr<controller::Controller> ctl_;
};

TEST_F(ClusterBindingTest, SeedScaledJobCreatesJobsOwnedByIt) {
  ASSERT_TRUE(CreateSeed(*client_));
  StartEbb();
  EXPECT_EQ(ctl_->ScaledJobNames(), std::vector<std::string>{kSeedJob});
  queue_ = 1;
  ASSERT_TRUE(PollNow());
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }));
  const Json job = Jobs()[0];
  const Json& owner = job["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["uid"], ScaledJob()["metadata"]["uid"]);
  EXPECT_EQ(owner["kind"], "ScaledJob");
  EXPECT_EQ(owner["apiVersion"], "keda.sh/v1alpha1");
  EXPECT_EQ(owner["controller"], true);
  EXPECT_EQ(job["metadata"]["annotations"]["scaledjob.keda.sh/generation"],
            "1");
  EXPECT_EQ(job["metadata"]["labels"]["scaledjob.keda.sh/name"], kSeedJob);
  // Nothing beyond the jobTargetRef: no EBB_* env in any container.
  for (const Json& c : job["spec"]["template"]["spec"]["containers"]) {
    for (const Json& e : c.value("env", Json::array())) {
      EXPECT_NE(e["name"].get<std::string>().rfind("EBB_", 0), 0u) << e;
    }
  }
  EXPECT_TRUE(ConditionIs(kSeedJob, "Ready", "True", "ScaledJobReady"));
  EXPECT_TRUE(ConditionIs(kSeedJob, "Active", "True", "ScalerActive"));
  EXPECT_TRUE(HasEvent("KEDAJobsCreated"));
  EXPECT_TRUE(HasEvent("KEDAScalersStarted"));
  // The pending Job (no pod yet) is not doubled by later polls.
  ASSERT_TRUE(PollNow());
  EXPECT_EQ(Jobs().size(), 1u);
}

// A new jobTargetRef is a new generation: the seed's rollout (default
// strategy, foreground) deletes the old Job and the next Job carries
// generation 2.
TEST_F(ClusterBindingTest, NewGenerationRollsOutPerStrategy) {
  ASSERT_TRUE(CreateSeed(*client_));
  StartEbb();
  queue_ = 1;
  ASSERT_TRUE(PollNow());
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }));
  const std::string old_job = Jobs()[0]["metadata"]["name"];

  // As `kubectl edit`: read, change, replace; again on a 409 Conflict (ebb
  // writes the status meanwhile).
  absl::Status put;
  for (int attempt = 0; attempt < 10; ++attempt) {
    Json sj = ScaledJob();
    sj["spec"]["jobTargetRef"]["template"]["spec"]["containers"][0]["env"][1]
      ["value"] = "CPU";
    put = client_->Request("PUT", SeedPath(), sj).status();
    if (!absl::IsAborted(put)) break;
  }
  ASSERT_TRUE(put.ok()) << put;
  EXPECT_EQ(ScaledJob()["metadata"]["generation"], 2);
  ASSERT_TRUE(WaitFor(
      [&] {
        ctl_->Wake("");  // the next poll counts the deleted Job out
        const auto jobs = Jobs();
        return jobs.size() == 1 && jobs[0]["metadata"]["name"] != old_job &&
               jobs[0]["metadata"]["annotations"]
                   ["scaledjob.keda.sh/generation"] == "2";
      },
      absl::Seconds(30)));
  EXPECT_GE(server_.Requests("delete", "jobs"), 1);
  EXPECT_EQ(
      Jobs()[0]["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"],
      "CPU");
}

TEST_F(ClusterBindingTest, DeletedScaledJobStopsItsLoop) {
  ASSERT_TRUE(CreateSeed(*client_));
  StartEbb();
  ASSERT_TRUE(client_->Request("DELETE", SeedPath()).ok());
  ASSERT_TRUE(WaitFor([&] { return ctl_->ScaledJobNames().empty(); }));
  EXPECT_TRUE(HasEvent("ScaledJobDeleted"));
  queue_ = 3;
  ctl_->Wake("");
  const int creates = server_.Requests("create", "jobs");
  // No loop is left to poll: nothing is created.
  EXPECT_TRUE(ctl_->Snapshots(1).empty());
  EXPECT_EQ(server_.Requests("create", "jobs"), creates);
  EXPECT_TRUE(Jobs().empty());
}

TEST_F(ClusterBindingTest, InvalidScaledJobIsReportedOthersRun) {
  ASSERT_TRUE(CreateSeed(*client_));
  Json broken = SeedObject("ScaledJob");
  broken["metadata"]["name"] = "broken";
  broken["spec"]["triggers"] = {
      {{"type", "ebb-queue"}, {"metadata", {{"queueName", "tasks"}}}}};
  ASSERT_TRUE(CreateObject(*client_, broken).ok());
  StartEbb();
  EXPECT_EQ(ctl_->ScaledJobNames(), std::vector<std::string>{kSeedJob});
  ASSERT_TRUE(ConditionIs("broken", "Ready", "False", "ScaledJobCheckFailed"));
  EXPECT_THAT(Condition("broken", "Ready")["message"].get<std::string>(),
              HasSubstr("cluster:stable-diff/ScaledJob/broken"));
  EXPECT_THAT(Condition("broken", "Ready")["message"].get<std::string>(),
              HasSubstr("embedded queue"));
  ASSERT_TRUE(HasEvent("ScaledJobCheckFailed", "broken"));
  for (const Json& e :
       server_.store().List("events", kSeedNs, LabelSelector())) {
    if (e["reason"] == "ScaledJobCheckFailed") {
      EXPECT_EQ(e["type"], "Warning");
    }
  }
  queue_ = 1;
  ASSERT_TRUE(PollNow());
  ASSERT_TRUE(WaitFor([&] { return Jobs().size() == 1; }));
  EXPECT_TRUE(ConditionIs(kSeedJob, "Ready", "True", "ScaledJobReady"));
}

TEST_F(ClusterBindingTest, PausedScaledJobCreatesNothing) {
  ASSERT_TRUE(CreateSeed(*client_));
  StartEbb();
  ASSERT_TRUE(
      client_
          ->Request(
              "PATCH", SeedPath(),
              {{"metadata",
                {{"annotations", {{"autoscaling.keda.sh/paused", "true"}}}}}})
          .ok());
  ASSERT_TRUE(ConditionIs(kSeedJob, "Paused", "True", "ScaledJobPaused"));
  EXPECT_TRUE(HasEvent("ScaledJobPaused"));
  ASSERT_TRUE(WaitFor([&] {
    auto snaps = ctl_->Snapshots(1);
    return !snaps.empty() && snaps[0].paused;
  }));
  queue_ = 2;
  ASSERT_TRUE(PollNow());
  ASSERT_TRUE(PollNow());
  EXPECT_TRUE(ctl_->Snapshots(1)[0].recent.back().paused);
  EXPECT_TRUE(Jobs().empty());
}

// No API call per poll at steady state: neither our own status writes (seen
// again through the watch) nor idle polls rewrite the conditions or restart
// the loop.
TEST_F(ClusterBindingTest, SteadyStateWritesNoStatus) {
  ASSERT_TRUE(CreateSeed(*client_));
  StartEbb();
  ASSERT_TRUE(ConditionIs(kSeedJob, "Active", "False", "ScalerNotActive"));
  ASSERT_TRUE(binding_->status().WaitIdle(absl::Seconds(10)));
  // The echo of the status write reaches the source ...
  ASSERT_TRUE(WaitFor([&] {
    auto state = binding_->source().current();
    for (const Json& c : state->scaled_jobs[0].conditions) {
      if (c["type"] == "Active" && c["status"] == "False") return true;
    }
    return false;
  }));
  const int patches = server_.Requests("patch", "scaledjobs/status");
  const int puts = server_.Requests("update", "scaledjobs/status");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(PollNow());
  ASSERT_TRUE(binding_->status().WaitIdle(absl::Seconds(10)));
  EXPECT_EQ(server_.Requests("patch", "scaledjobs/status"), patches);
  EXPECT_EQ(server_.Requests("update", "scaledjobs/status"), puts);
  // ... without restarting the loop: its history goes on.
  EXPECT_GE(ctl_->Snapshots(100)[0].recent.size(), 21u);
}

}  // namespace
}  // namespace ebb::cli
