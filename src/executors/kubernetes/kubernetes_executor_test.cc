// SPDX-License-Identifier: Apache-2.0
//
// KubernetesExecutor against the API server double: Jobs as KEDA creates
// them, ebb's pending rule, delete, logs, fail-closed and RBAC errors.
#include "executors/kubernetes/kubernetes_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "executors/kubernetes/kube_executor_fixture.h"

namespace ebb::executors::kubernetes::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST_F(KubeExecutorTest, SeedScaledJobMakesFourJobsAsKedaWould) {
  std::set<std::string> names;
  for (int i = 0; i < 4; ++i) {
    auto job = Executor().Create(SeedRequest("sj-uid"));
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->state, JobState::kPending);
    names.insert(job->name);
  }
  EXPECT_EQ(names.size(), 4u);
  for (const std::string& name : names) {
    EXPECT_THAT(name, ::testing::StartsWith("stable-diff-job-"));
    Json stored = Stored(name);
    ASSERT_FALSE(stored.is_null());
    EXPECT_EQ(stored["metadata"]["labels"]["app.kubernetes.io/managed-by"],
              "keda-operator");
    EXPECT_EQ(stored["metadata"]["annotations"]["scaledjob.keda.sh/generation"],
              "1");
    EXPECT_EQ(stored["metadata"]["ownerReferences"][0]["uid"], "sj-uid");
    EXPECT_EQ(stored["spec"]["template"]["metadata"]["labels"]
                    ["scaledjob.keda.sh/name"],
              kSj);
    EXPECT_EQ(stored["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
  }
  std::vector<Job> jobs = Jobs();
  ASSERT_EQ(jobs.size(), 4u);
  for (const Job& j : jobs) {
    EXPECT_EQ(j.scaled_job, kSj);
    EXPECT_EQ(j.state, JobState::kPending);
    EXPECT_EQ(j.Generation(), 1);
  }
  EXPECT_TRUE(Executor().List(kNs, "other")->empty());
}

TEST_F(KubeExecutorTest, AJobCreatedOneTickAgoIsListedAtOnce) {
  EXPECT_EQ(Count(), 0u);
  auto job = Executor().Create(SeedRequest());
  ASSERT_TRUE(job.ok());
  std::vector<Job> jobs = Jobs();  // no wait for the watch event
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, job->name);
}

TEST_F(KubeExecutorTest, SteadyStateCostsNoApiCallsPerTick) {
  // 100 Jobs; the Create latency (POST + cache) is printed for BENCHMARKS.md.
  std::vector<double> ms;
  for (int i = 0; i < 100; ++i) {
    const absl::Time t0 = absl::Now();
    ASSERT_TRUE(Executor().Create(SeedRequest()).ok());
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "kubernetes executor Create against the double: p50 %.2f ms, "
      "p99 %.2f ms\n",
      ms[49], ms[98]);
  ASSERT_EQ(Count(), 100u);
  ASSERT_TRUE(WaitWatching());
  const int before = server_.Requests("", "");
  for (int tick = 0; tick < 100; ++tick) ASSERT_EQ(Count(), 100u);
  EXPECT_EQ(server_.Requests("", ""), before);  // 0 API calls in 100 ticks
  EXPECT_EQ(server_.Requests("list", ""), 2);   // jobs and pods, once each
}

TEST_F(KubeExecutorTest, UnschedulablePodsStayPendingWithTheReason) {
  std::vector<std::string> names;
  for (int i = 0; i < 2; ++i)
    names.push_back(Executor().Create(SeedRequest())->name);
  for (const std::string& n : names) {
    server_.store().Put("pods", kNs,
                        PodFor(Stored(n), n + "-p", UnschedulableStatus()));
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const Job& j : Jobs()) {
      if (j.reason != "Unschedulable") return false;
    }
    return true;
  }));
  for (int tick = 0; tick < 10; ++tick) {
    std::vector<Job> jobs = Jobs();
    ASSERT_EQ(jobs.size(), 2u);
    for (const Job& j : jobs) {
      EXPECT_EQ(j.state, JobState::kPending);
      EXPECT_THAT(j.message, HasSubstr("Insufficient nvidia.com/gpu"));
    }
  }
  // A node arrives: the pod becomes Ready, the job running.
  server_.store().Put("pods", kNs,
                      PodFor(Stored(names[0]), names[0] + "-p", ReadyStatus()));
  ASSERT_TRUE(WaitFor([&] {
    for (const Job& j : Jobs()) {
      if (j.name == names[0]) return j.state == JobState::kRunning;
    }
    return false;
  }));
}

TEST_F(KubeExecutorTest, PendingPodConditionsOfTheScaledJobAreUsed) {
  JobRequest r = SeedRequest();
  r.pending_pod_conditions = {"Ready", "ModelLoaded"};
  const std::string name = Executor().Create(r)->name;
  server_.store().Put("pods", kNs,
                      PodFor(Stored(name), name + "-p", ReadyStatus()));
  ASSERT_TRUE(WaitFor([&] {
    auto jobs = Jobs();
    return jobs.size() == 1 && jobs[0].reason == "PodConditionsNotMet";
  }));
  Json status = ReadyStatus();
  status["conditions"].push_back({{"type", "ModelLoaded"}, {"status", "True"}});
  server_.store().Put("pods", kNs, PodFor(Stored(name), name + "-p", status));
  ASSERT_TRUE(WaitFor([&] { return Jobs()[0].state == JobState::kRunning; }));
}

TEST_F(KubeExecutorTest, BackgroundDeleteRemovesAtOnceForegroundKeepsDeleting) {
  FakeApiServerOptions o;
  o.graceful_pod_deletion = true;
  server_.Stop();
  FakeApiServer graceful(o);
  ASSERT_TRUE(graceful.Start().ok());
  KubernetesExecutorOptions eo;
  eo.config.server = graceful.url();
  KubernetesExecutor ex(eo);
  const std::string a = ex.Create(SeedRequest())->name;
  const std::string b = ex.Create(SeedRequest())->name;
  Json job_b = *graceful.store().Get("jobs", kNs, b);
  graceful.store().Put("pods", kNs, PodFor(job_b, b + "-p", ReadyStatus()));

  ASSERT_TRUE(ex.Delete(kNs, a, /*foreground=*/false).ok());
  ASSERT_TRUE(ex.Delete(kNs, b, /*foreground=*/true).ok());
  std::vector<Job> jobs = *ex.List(kNs, kSj);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, b);
  EXPECT_TRUE(jobs[0].deleting);
  graceful.store().Remove("pods", kNs, b + "-p");  // the kubelet is done
  ASSERT_TRUE(WaitFor([&] { return ex.List(kNs, kSj)->empty(); }));
  EXPECT_EQ(ex.Delete(kNs, a, false).code(), absl::StatusCode::kNotFound);
}

TEST_F(KubeExecutorTest, LogsComeFromTheJobsPod) {
  const std::string name = Executor().Create(SeedRequest())->name;
  EXPECT_EQ(Executor().Logs(kNs, name, "", 100).status().code(),
            absl::StatusCode::kNotFound);
  server_.store().Put("pods", kNs,
                      PodFor(Stored(name), name + "-p", ReadyStatus()));
  server_.SetLog(kNs, name + "-p", "stable-diffusion-worker",
                 "loading model\nready\n");
  ASSERT_TRUE(WaitFor([&] { return Jobs()[0].state == JobState::kRunning; }));
  auto all = Executor().Logs(kNs, name, "", 1000);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "loading model\nready\n");
  EXPECT_EQ(*Executor().Logs(kNs, name, "stable-diffusion-worker", 6),
            "ready\n");
}

TEST_F(KubeExecutorTest, FailsClosedWhenJobsCannotBeListed) {
  server_.FailNext("list", "jobs", 500, 1000);
  auto jobs = Executor().List(kNs, kSj);
  EXPECT_EQ(jobs.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(jobs.status().message(), HasSubstr("500"));
}

TEST_F(KubeExecutorTest, MissingRbacIsOneClearErrorWithoutATightRetryLoop) {
  server_.Deny("list", "jobs");
  auto jobs = Executor().List(kNs, kSj);
  ASSERT_EQ(jobs.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(jobs.status().message(),
              AllOf(HasSubstr("cannot list resource \"jobs\" in API group "
                              "\"batch\" in the namespace \"stable-diff\""),
                    HasSubstr("resources [\"jobs\"], verbs [\"list\"]")));
  // Every tick gets the same error from the cache, not a new request; the
  // informer waits at least 5 s before asking again.
  for (int tick = 0; tick < 20; ++tick) {
    EXPECT_EQ(Executor().List(kNs, kSj).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(server_.Requests("list", "jobs"), 1);

  server_.Deny("create", "jobs");
  auto created = Executor().Create(SeedRequest());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(created.status().message(),
              AllOf(HasSubstr("cannot create resource \"jobs\""),
                    HasSubstr("ScaledJob stable-diff/stable-diff-job")));
}

TEST_F(KubeExecutorTest, InvalidJobNamesTheFieldTheServerRefused) {
  JobRequest r = SeedRequest();
  Json spec = Json::parse(r.spec.raw_json);
  spec["template"]["spec"]["restartPolicy"] = "Always";
  r.spec.raw_json = spec.dump();
  auto job = Executor().Create(r);
  EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(job.status().message(),
              HasSubstr("spec.template.spec.restartPolicy: Unsupported value: "
                        "\"Always\""));
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
