// SPDX-License-Identifier: Apache-2.0
#include "executors/executor.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace ebb::executors {
namespace {

spec::Manifests Manifests() {
  spec::Manifests m;
  spec::Secret s;
  s.name = "minio";
  s.namespace_ = "stable-diff";
  s.data = {{"rootUser", "admin"}};
  m.secrets.push_back(s);
  return m;
}

spec::ScaledJob Job() {
  spec::ScaledJob j;
  j.name = "stable-diff-job";
  j.namespace_ = "stable-diff";
  j.generation = 4;
  spec::Container c;
  c.name = "worker";
  c.image = "w";
  spec::EnvVar plain;
  plain.name = "DEVICE";
  plain.value = "GPU";
  spec::EnvVar secret;
  secret.name = "USER";
  secret.secret_key_ref = spec::SecretKeySelector{"minio", "rootUser", false};
  c.env = {plain, secret};
  j.job_target_ref.template_.containers.push_back(c);
  return j;
}

TEST(BuildJobRequestTest, KedaLabelsAndGenerationAnnotation) {
  spec::ScaledJob j = Job();
  auto r = BuildJobRequest(j, Manifests());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->labels.at("app.kubernetes.io/name"), "stable-diff-job");
  EXPECT_EQ(r->labels.at("app.kubernetes.io/version"), "0.1.0");
  EXPECT_EQ(r->labels.at("app.kubernetes.io/part-of"), "stable-diff-job");
  EXPECT_EQ(r->labels.at("app.kubernetes.io/managed-by"), "keda-operator");
  EXPECT_EQ(r->labels.at("scaledjob.keda.sh/name"), "stable-diff-job");
  EXPECT_EQ(r->labels.size(), 5u);
  EXPECT_EQ(r->annotations.at("scaledjob.keda.sh/generation"), "4");
  EXPECT_EQ(r->scaled_job, "stable-diff-job");
  EXPECT_EQ(r->namespace_, "stable-diff");
  EXPECT_EQ(r->spec.template_.labels.at("scaledjob.keda.sh/name"),
            "stable-diff-job");
}

TEST(BuildJobRequestTest, ScaledJobUidBecomesTheOwnerUid) {
  spec::ScaledJob j = Job();
  EXPECT_EQ(BuildJobRequest(j, Manifests())->scaled_job_uid, "");
  j.uid = "00000000-0000-4000-8000-000000000007";
  EXPECT_EQ(BuildJobRequest(j, Manifests())->scaled_job_uid,
            "00000000-0000-4000-8000-000000000007");
}

TEST(BuildJobRequestTest, ScaledJobLabelsOverrideMinusExcluded) {
  spec::ScaledJob j = Job();
  j.labels = {{"app.kubernetes.io/name", "mine"},
              {"team", "ml"},
              {"secret-label", "x"}};
  j.annotations = {
      {"scaledjob.keda.sh/job-excluded-labels", " secret-label , other"},
      {"scaledjob.keda.sh/generation", "9"},
      {"note", "n"}};
  auto r = BuildJobRequest(j, Manifests());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->labels.at("app.kubernetes.io/name"), "mine");
  EXPECT_EQ(r->labels.at("team"), "ml");
  EXPECT_EQ(r->labels.count("secret-label"), 0u);
  // ScaledJob annotations are copied over the generation, as KEDA does.
  EXPECT_EQ(r->annotations.at("scaledjob.keda.sh/generation"), "9");
  EXPECT_EQ(r->annotations.at("note"), "n");
}

TEST(BuildJobRequestTest, EnvResolvedInSpecOrder) {
  auto r = BuildJobRequest(Job(), Manifests());
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& env = r->env.at("worker");
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"DEVICE", "GPU"}));
  EXPECT_EQ(env[1], (std::pair<std::string, std::string>{"USER", "admin"}));
}

TEST(BuildJobRequestTest, MissingSecretIsNotFound) {
  spec::Manifests m;
  auto r = BuildJobRequest(Job(), m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "minio")) << r.status();
}

}  // namespace
}  // namespace ebb::executors
