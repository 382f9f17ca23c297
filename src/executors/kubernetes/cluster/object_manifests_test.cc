// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/object_manifests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/cluster/cluster_test_util.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using testing::kSeedJob;
using testing::kSeedNs;
using testing::SeedObjects;

// The seed's objects as an API server returns them: uid, resourceVersion,
// creationTimestamp, managedFields, a status; the Secrets base64 `data`.
ClusterObjects ServerObjects() {
  ClusterObjects out;
  int n = 0;
  for (Json o : SeedObjects()) {
    ++n;
    Json& meta = o["metadata"];
    meta["uid"] = "00000000-0000-4000-8000-00000000000" + std::to_string(n);
    meta["resourceVersion"] = std::to_string(100 + n);
    meta["creationTimestamp"] = "2026-01-01T00:00:0" + std::to_string(n) + "Z";
    meta["generation"] = 1;
    meta["managedFields"] = {{{"manager", "kubectl"}, {"operation", "Update"}}};
    const std::string kind = o["kind"];
    if (kind == "Secret") {
      out.secrets.push_back(o);
    } else if (kind == "TriggerAuthentication") {
      out.trigger_authentications.push_back(o);
    } else {
      o["status"] = {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
      out.scaled_jobs.push_back(o);
    }
  }
  return out;
}

Json& Job(ClusterObjects& o) { return o.scaled_jobs[0]; }

TEST(ObjectManifestsTest, SeedObjectsYieldTheSeedManifests) {
  ClusterObjects objects = ServerObjects();
  ClusterManifests m = BuildClusterManifests(objects, nullptr, "");
  EXPECT_TRUE(m.problems.empty()) << m.problems[0].message;
  ASSERT_EQ(m.manifests.scaled_jobs.size(), 1u);
  const spec::ScaledJob& sj = m.manifests.scaled_jobs[0];
  EXPECT_EQ(sj.name, kSeedJob);
  EXPECT_EQ(sj.namespace_, kSeedNs);
  EXPECT_EQ(sj.uid, Job(objects)["metadata"]["uid"]);
  EXPECT_EQ(sj.generation, 1);
  EXPECT_EQ(sj.polling_interval, 5);
  EXPECT_EQ(sj.location.file, "cluster:stable-diff/ScaledJob/stable-diff-job");
  EXPECT_EQ(m.manifests.trigger_authentications.size(), 1u);
  EXPECT_EQ(m.manifests.secrets.size(), 2u);  // the TA's and the env's
  ASSERT_EQ(m.scaled_jobs.size(), 1u);
  EXPECT_EQ(m.scaled_jobs[0].resource_version, "104");
  EXPECT_EQ(m.scaled_jobs[0].conditions[0]["type"], "Ready");
  EXPECT_EQ(m.fingerprints.count(kSeedJob), 1u);
}

TEST(ObjectManifestsTest, StripServerFieldsKeepsWhatSpecReads) {
  Json o = ServerObjects().scaled_jobs[0];
  o["metadata"]["labels"] = {{"team", "ml"}};
  o["metadata"]["finalizers"] = {"finalizer.keda.sh"};
  Json s = StripServerFields(o);
  EXPECT_FALSE(s.contains("status"));
  EXPECT_EQ(s["metadata"]["uid"], o["metadata"]["uid"]);
  EXPECT_EQ(s["metadata"]["generation"], 1);
  EXPECT_EQ(s["metadata"]["labels"]["team"], "ml");
  for (const char* gone : {"resourceVersion", "creationTimestamp",
                           "managedFields", "finalizers"}) {
    EXPECT_FALSE(s["metadata"].contains(gone)) << gone;
  }
  EXPECT_EQ(s["spec"], o["spec"]);
}

TEST(ObjectManifestsTest, InvalidScaledJobIsLeftOutAndNamed) {
  ClusterObjects objects = ServerObjects();
  Json bad = Job(objects);
  bad["metadata"]["name"] = "bad";
  bad["metadata"]["uid"] = "00000000-0000-4000-8000-0000000000bb";
  bad["spec"]["pollingInterval"] = 0;
  objects.scaled_jobs.push_back(bad);
  ClusterManifests m = BuildClusterManifests(objects, nullptr, "");
  ASSERT_EQ(m.manifests.scaled_jobs.size(), 1u);
  EXPECT_EQ(m.manifests.scaled_jobs[0].name, kSeedJob);
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].identity.name, "bad");
  EXPECT_EQ(m.problems[0].identity.uid, "00000000-0000-4000-8000-0000000000bb");
  EXPECT_THAT(m.problems[0].message,
              HasSubstr("cluster:stable-diff/ScaledJob/bad:"));
  EXPECT_THAT(m.problems[0].message, HasSubstr("spec.pollingInterval"));
  EXPECT_EQ(m.scaled_jobs.size(), 2u);
}

// KEDA reads a ScaledJob's TriggerAuthentication and Secrets from its own
// namespace: the same objects in another namespace do not count.
TEST(ObjectManifestsTest, ReferencesResolveInTheScaledJobsNamespace) {
  ClusterObjects objects = ServerObjects();
  for (Json& s : objects.secrets) s["metadata"]["namespace"] = "other";
  ClusterManifests m = BuildClusterManifests(objects, nullptr, "");
  EXPECT_TRUE(m.manifests.scaled_jobs.empty());
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_THAT(m.problems[0].message,
              HasSubstr("Secret \"stablediff-rabbitmq\" not found in "
                        "namespace \"stable-diff\""));
  // The error points at the TriggerAuthentication that names the Secret.
  EXPECT_THAT(m.problems[0].message,
              HasSubstr("cluster:stable-diff/TriggerAuthentication/"
                        "stable-diff-rabbitmq-connection:"));
  // Secret values never appear.
  EXPECT_THAT(m.problems[0].message, ::testing::Not(HasSubstr("guest:guest")));
}

TEST(ObjectManifestsTest, SameNameInTwoNamespacesTheOlderRuns) {
  ClusterObjects objects = ServerObjects();
  Json twin = Job(objects);
  twin["metadata"]["namespace"] = "a-first-alphabetically";
  twin["metadata"]["uid"] = "00000000-0000-4000-8000-0000000000cc";
  twin["metadata"]["creationTimestamp"] = "2026-02-01T00:00:00Z";
  objects.scaled_jobs.push_back(twin);
  ClusterManifests m = BuildClusterManifests(objects, nullptr, "");
  ASSERT_EQ(m.manifests.scaled_jobs.size(), 1u);
  EXPECT_EQ(m.manifests.scaled_jobs[0].namespace_, kSeedNs);
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].identity.namespace_, "a-first-alphabetically");
  EXPECT_THAT(m.problems[0].message,
              HasSubstr("already run from namespace \"stable-diff\""));
}

TEST(ObjectManifestsTest, FingerprintIgnoresStatusAndFollowsSpecAndSecrets) {
  ClusterObjects objects = ServerObjects();
  const uint64_t before =
      BuildClusterManifests(objects, nullptr, "").fingerprints[kSeedJob];
  Job(objects)["status"]["conditions"][0]["status"] = "False";
  Job(objects)["metadata"]["resourceVersion"] = "999";
  EXPECT_EQ(BuildClusterManifests(objects, nullptr, "").fingerprints[kSeedJob],
            before);
  ClusterObjects spec_changed = objects;
  Job(spec_changed)["spec"]["maxReplicaCount"] = 2;
  EXPECT_NE(
      BuildClusterManifests(spec_changed, nullptr, "").fingerprints[kSeedJob],
      before);
  ClusterObjects secret_changed = objects;
  secret_changed.secrets[0]["stringData"]["host"] = "amqp://other:5672/";
  EXPECT_NE(
      BuildClusterManifests(secret_changed, nullptr, "").fingerprints[kSeedJob],
      before);
}

TEST(ObjectManifestsTest, CheckErrorsLeaveTheScaledJobOut) {
  ClusterObjects objects = ServerObjects();
  ClusterManifests m = BuildClusterManifests(
      objects,
      [](spec::LoadResult* r) {
        r->diagnostics.push_back({spec::Diagnostic::Severity::kError,
                                  r->manifests.scaled_jobs[0].location,
                                  "needs an external broker"});
      },
      "");
  EXPECT_TRUE(m.manifests.scaled_jobs.empty());
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_THAT(m.problems[0].message, HasSubstr("needs an external broker"));
}

TEST(ObjectManifestsTest, ClusterTriggerAuthenticationReadsItsNamespace) {
  ClusterObjects objects = ServerObjects();
  Json cta = objects.trigger_authentications[0];
  cta["kind"] = "ClusterTriggerAuthentication";
  cta["metadata"].erase("namespace");
  objects.trigger_authentications.clear();
  objects.cluster_trigger_authentications.push_back(cta);
  Job(objects)["spec"]["triggers"][0]["authenticationRef"]["kind"] =
      "ClusterTriggerAuthentication";
  // The Secret the ClusterTriggerAuthentication reads is in "keda" (the
  // ScaledJob's env still reads its own namespace's copy).
  for (const Json& s : std::vector<Json>(objects.secrets)) {
    if (s["metadata"]["name"] != "stablediff-rabbitmq") continue;
    Json copy = s;
    copy["metadata"]["namespace"] = "keda";
    objects.secrets.push_back(copy);
  }
  ClusterManifests m = BuildClusterManifests(objects, nullptr, "keda");
  EXPECT_TRUE(m.problems.empty()) << m.problems[0].message;
  ASSERT_EQ(m.manifests.trigger_authentications.size(), 1u);
  EXPECT_EQ(m.manifests.trigger_authentications[0].namespace_, "keda");
  EXPECT_EQ(m.manifests.trigger_authentications[0].location.file,
            "cluster:ClusterTriggerAuthentication/"
            "stable-diff-rabbitmq-connection");
}

TEST(ObjectManifestsTest, PausedFollowsTheAnnotation) {
  ClusterObjects objects = ServerObjects();
  EXPECT_FALSE(
      BuildClusterManifests(objects, nullptr, "").scaled_jobs[0].paused);
  Job(objects)["metadata"]["annotations"]["autoscaling.keda.sh/paused"] =
      "true";
  EXPECT_TRUE(
      BuildClusterManifests(objects, nullptr, "").scaled_jobs[0].paused);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::cluster
