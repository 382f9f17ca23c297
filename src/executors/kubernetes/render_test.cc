// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/kube_test_util.h"
#include "spec/yaml_json.h"

namespace ebb::executors::kubernetes {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

spec::Manifests Seed() {
  return spec::LoadManifests({testing::SeedPath()})->manifests;
}

TEST(RenderTest, TheRenderedJobIsTheOneTheExecutorSends) {
  auto rendered = RenderJob(Seed(), "", "uid-1");
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_EQ(*rendered, *BuildJobManifest(testing::SeedRequest("uid-1")));
}

TEST(RenderTest, SecretsNeedNotBeInTheFiles) {
  spec::Manifests m = Seed();
  m.secrets.clear();
  auto rendered = RenderJob(m, "stable-diff-job");
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_EQ((*rendered)["spec"]["template"]["spec"]["containers"][1]["env"][0]
                ["valueFrom"]["secretKeyRef"]["name"],
            "minio");
}

TEST(RenderTest, YamlReadsBackToTheSameJob) {
  Json job = *RenderJob(Seed(), "");
  const std::string yaml = JsonToYaml(job);
  EXPECT_THAT(yaml, HasSubstr("generateName: stable-diff-job-\n"));
  EXPECT_THAT(yaml, HasSubstr("value: \"1\"\n"));
  auto back = spec::YamlTextToJson(yaml);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_EQ(Json::parse(*back), job) << yaml;
}

TEST(RenderTest, AnUnknownOrAmbiguousScaledJobIsNamed) {
  spec::Manifests m = Seed();
  EXPECT_THAT(RenderJob(m, "nope").status().message(),
              HasSubstr("known: stable-diff-job"));
  m.scaled_jobs.push_back(m.scaled_jobs[0]);
  m.scaled_jobs.back().name = "second";
  EXPECT_EQ(RenderJob(m, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RenderJob(m, "second").ok());
}

}  // namespace
}  // namespace ebb::executors::kubernetes
