// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/job_status.h"

#include <gtest/gtest.h>

#include "executors/kubernetes/kube_test_util.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;
using testing::PodFor;

Json AJob() {
  return {{"metadata",
           {{"name", "sd-abcde"},
            {"namespace", "ns"},
            {"uid", "u1"},
            {"creationTimestamp", "2026-01-01T00:00:00Z"},
            {"labels", {{"scaledjob.keda.sh/name", "sd"}}},
            {"annotations", {{"scaledjob.keda.sh/generation", "3"}}}}},
          {"status", Json::object()}};
}

Job Judge(const std::vector<Json>& pods,
          const std::vector<std::string>& conds = {}, Json job = AJob()) {
  std::vector<const Json*> ptrs;
  for (const Json& p : pods) ptrs.push_back(&p);
  return JobFromObjects(job, ptrs, conds);
}

TEST(JobStatusTest, AJobWithoutPodIsPending) {
  Job j = Judge({});
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.reason, "NoPod");
  EXPECT_EQ(j.scaled_job, "sd");
  EXPECT_EQ(j.Generation(), 3);
  EXPECT_EQ(j.created, absl::FromUnixSeconds(1767225600));
}

TEST(JobStatusTest, UnschedulablePodKeepsTheJobPendingWithTheSchedulersWhy) {
  Job j = Judge({PodFor(AJob(), "p", testing::UnschedulableStatus())});
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.reason, "Unschedulable");
  EXPECT_EQ(j.message,
            "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
}

TEST(JobStatusTest, WaitingContainerReasonIsThePendingReason) {
  Json status = {
      {"phase", "Pending"},
      {"conditions", {{{"type", "PodScheduled"}, {"status", "True"}}}},
      {"containerStatuses",
       {{{"name", "w"},
         {"ready", false},
         {"state",
          {{"waiting",
            {{"reason", "ImagePullBackOff"},
             {"message", "Back-off pulling image"}}}}}}}}};
  Job j = Judge({PodFor(AJob(), "p", status)});
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.reason, "ImagePullBackOff");
  EXPECT_EQ(j.containers[0].state, "waiting");
}

TEST(JobStatusTest, RunningButNotReadyIsStillPending) {
  Json status = testing::ReadyStatus();
  status["conditions"][1]["status"] = "False";
  Job j = Judge({PodFor(AJob(), "p", status)});
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.reason, "ContainersNotReady");
  EXPECT_NE(j.started, absl::InfinitePast());
}

TEST(JobStatusTest, OneReadyPodMakesTheJobRunning) {
  Job j = Judge({PodFor(AJob(), "a", testing::UnschedulableStatus()),
                 PodFor(AJob(), "b", testing::ReadyStatus())});
  EXPECT_EQ(j.state, JobState::kRunning);
  EXPECT_EQ(j.ready, absl::FromUnixSeconds(1767225610));
  EXPECT_TRUE(j.containers[0].ready);
}

TEST(JobStatusTest, PendingPodConditionsMustAllBeTrueOnOnePod) {
  Json ready = testing::ReadyStatus();
  Job j = Judge({PodFor(AJob(), "p", ready)}, {"Ready", "ModelLoaded"});
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.reason, "PodConditionsNotMet");
  ready["conditions"].push_back({{"type", "ModelLoaded"}, {"status", "True"}});
  EXPECT_EQ(Judge({PodFor(AJob(), "p", ready)}, {"Ready", "ModelLoaded"}).state,
            JobState::kRunning);
}

TEST(JobStatusTest, CompleteAndFailedConditionsFinishTheJob) {
  Json done = AJob();
  done["status"]["conditions"] = {
      {{"type", "Complete"},
       {"status", "True"},
       {"lastTransitionTime", "2026-01-01T00:01:00Z"}}};
  Job ok = Judge({}, {}, done);
  EXPECT_EQ(ok.state, JobState::kSucceeded);
  EXPECT_EQ(ok.finished, absl::FromUnixSeconds(1767225660));
  Json failed = AJob();
  failed["status"]["failed"] = 5;
  failed["status"]["conditions"] = {{{"type", "Failed"},
                                     {"status", "True"},
                                     {"reason", "BackoffLimitExceeded"},
                                     {"message",
                                      "Job has reached the "
                                      "specified backoff limit"}}};
  Job bad = Judge({}, {}, failed);
  EXPECT_EQ(bad.state, JobState::kFailed);
  EXPECT_EQ(bad.reason, "BackoffLimitExceeded");
  EXPECT_EQ(bad.failed_attempts, 5);
}

TEST(JobStatusTest, PodsOfOtherJobsAreNotCounted) {
  Json other = AJob();
  other["metadata"]["uid"] = "u2";
  other["metadata"]["name"] = "sd-zzzzz";
  EXPECT_FALSE(PodOfJob(PodFor(other, "p", {}), AJob()));
  EXPECT_TRUE(PodOfJob(PodFor(AJob(), "p", {}), AJob()));
}

// Each way a pod names its Job (ownerReference uid, controller-uid labels,
// job-name label) is a key the Job looks up, so List's index finds it.
TEST(JobStatusTest, EveryPodOfAJobSharesAKeyWithIt) {
  const Json job = AJob();
  const std::vector<std::string> job_keys = JobKeys(job);
  auto shares = [&](const Json& pod) {
    for (const std::string& k : PodKeys(pod)) {
      for (const std::string& j : job_keys) {
        if (k == j) return true;
      }
    }
    return false;
  };
  Json by_owner = {{"metadata",
                    {{"name", "p1"},
                     {"namespace", "ns"},
                     {"ownerReferences", {{{"uid", "u1"}}}}}}};
  Json by_uid_label = {
      {"metadata",
       {{"name", "p2"},
        {"namespace", "ns"},
        {"labels", {{"batch.kubernetes.io/controller-uid", "u1"}}}}}};
  Json by_name_label = {{"metadata",
                         {{"name", "p3"},
                          {"namespace", "ns"},
                          {"labels", {{"job-name", "sd-abcde"}}}}}};
  for (const Json& pod :
       {by_owner, by_uid_label, by_name_label, PodFor(job, "p4", {})}) {
    ASSERT_TRUE(PodOfJob(pod, job)) << pod.dump();
    EXPECT_TRUE(shares(pod)) << pod.dump();
  }
  Json elsewhere = by_name_label;
  elsewhere["metadata"]["namespace"] = "other";
  EXPECT_FALSE(shares(elsewhere));
}

}  // namespace
}  // namespace ebb::executors::kubernetes
