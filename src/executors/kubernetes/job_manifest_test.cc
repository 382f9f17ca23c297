// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/job_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/kube_test_util.h"
#include "executors/kubernetes/testing/job_validation.h"

namespace ebb::executors::kubernetes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SeedRequest;
using Json = nlohmann::json;

TEST(JobManifestTest, SeedScaledJobBecomesTheJobKedaCreates) {
  auto job = BuildJobManifest(SeedRequest("uid-123"));
  ASSERT_TRUE(job.ok()) << job.status();
  const Json& meta = (*job)["metadata"];
  EXPECT_EQ((*job)["apiVersion"], "batch/v1");
  EXPECT_EQ((*job)["kind"], "Job");
  EXPECT_EQ(meta["generateName"], "stable-diff-job-");
  EXPECT_FALSE(meta.contains("name"));
  EXPECT_EQ(meta["namespace"], "stable-diff");
  EXPECT_EQ(meta["labels"],
            Json({{"app.kubernetes.io/name", "stable-diff-job"},
                  {"app.kubernetes.io/version", "0.1.0"},
                  {"app.kubernetes.io/part-of", "stable-diff-job"},
                  {"app.kubernetes.io/managed-by", "keda-operator"},
                  {"scaledjob.keda.sh/name", "stable-diff-job"}}));
  EXPECT_EQ(meta["annotations"]["scaledjob.keda.sh/generation"], "1");
  EXPECT_EQ(meta["ownerReferences"],
            Json::array({{{"apiVersion", "keda.sh/v1alpha1"},
                          {"kind", "ScaledJob"},
                          {"name", "stable-diff-job"},
                          {"uid", "uid-123"},
                          {"controller", true},
                          {"blockOwnerDeletion", true}}}));
  const Json& spec = (*job)["spec"];
  EXPECT_EQ(spec["backoffLimit"], 4);
  const Json& tmpl = spec["template"];
  EXPECT_EQ(tmpl["metadata"]["generateName"], "stable-diff-job-");
  EXPECT_EQ(tmpl["metadata"]["labels"],
            Json({{"app", "stable-diffusion-worker"},
                  {"scaledjob.keda.sh/name", "stable-diff-job"}}));
  EXPECT_EQ(tmpl["spec"]["restartPolicy"], "OnFailure");
  const Json& worker = tmpl["spec"]["containers"][0];
  // Quoted in the manifest, so a string on the wire (kubectl sends it so).
  EXPECT_EQ(worker["env"][2],
            Json({{"name", "EXIT_AFTER_ONE_TASK"}, {"value", "1"}}));
  EXPECT_EQ(worker["env"][0]["valueFrom"]["secretKeyRef"],
            Json({{"name", "stablediff-rabbitmq"}, {"key", "host"}}));
  EXPECT_EQ(worker["resources"]["requests"]["cpu"], "400m");
  EXPECT_EQ(tmpl["spec"]["volumes"][0]["emptyDir"], Json::object());
  EXPECT_EQ(
      tmpl["spec"]["affinity"]["podAntiAffinity"]
          ["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"],
      100);
  // KEDA injects no env; resolved secret values never leave ebb.
  EXPECT_THAT(job->dump(), Not(HasSubstr("EBB_")));
  EXPECT_THAT(job->dump(), Not(HasSubstr("amqp://")));
  EXPECT_TRUE(testing::ValidateJob(*job).empty())
      << testing::ValidateJob(*job).dump();
}

TEST(JobManifestTest, NoOwnerReferenceWithoutTheScaledJobsUid) {
  auto job = BuildJobManifest(SeedRequest());
  ASSERT_TRUE(job.ok());
  EXPECT_FALSE((*job)["metadata"].contains("ownerReferences"));
}

TEST(JobManifestTest, RestartPolicyAsWrittenIsKept) {
  JobRequest r = SeedRequest();
  Json spec = Json::parse(r.spec.raw_json);
  spec["template"]["spec"]["restartPolicy"] = "Never";
  r.spec.raw_json = spec.dump();
  EXPECT_EQ((*BuildJobManifest(r))["spec"]["template"]["spec"]["restartPolicy"],
            "Never");
}

TEST(JobManifestTest, ExtraEnvOnlyWhenAskedAndNeverOverridesTheTemplate) {
  JobRequest r = SeedRequest();
  r.extra_env = {{"EBB_ATTEMPT_LIMIT", "5"}, {"DEVICE", "CPU"}};
  auto plain = BuildJobManifest(r);
  EXPECT_THAT(plain->dump(), Not(HasSubstr("EBB_ATTEMPT_LIMIT")));
  auto with = BuildJobManifest(r, {.add_extra_env = true});
  const Json& env = (*with)["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env[1], Json({{"name", "DEVICE"}, {"value", "GPU"}}));
  EXPECT_EQ(env.back(), Json({{"name", "EBB_ATTEMPT_LIMIT"}, {"value", "5"}}));
}

TEST(JobManifestTest, JobTargetRefWithoutTemplateSpecIsRefused) {
  JobRequest r = SeedRequest();
  r.spec.raw_json = R"({"backoffLimit": 1})";
  EXPECT_EQ(BuildJobManifest(r).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ebb::executors::kubernetes
