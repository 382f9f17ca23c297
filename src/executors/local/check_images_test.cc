// SPDX-License-Identifier: Apache-2.0
#include "executors/local/check_images.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::executors::local {
namespace {

using ::testing::HasSubstr;

spec::Manifests WithContainers(std::vector<spec::Container> containers) {
  spec::ScaledJob job;
  job.name = "j";
  job.job_target_ref.template_.containers = std::move(containers);
  spec::Manifests m;
  m.scaled_jobs.push_back(job);
  return m;
}

spec::Container Container(const std::string& image,
                          std::vector<std::string> command = {}) {
  spec::Container c;
  c.name = "worker";
  c.image = image;
  c.command = std::move(command);
  c.location = {"m.yaml", 12, 13};
  return c;
}

TEST(CheckLocalImagesTest, UnmappedImageWithoutCommandIsAWarningAtItsLine) {
  auto map = ImageMap::Parse("images:\n  - image: minio/mc\n    skip: true\n",
                             "dir/ebb-local.yaml");
  ASSERT_TRUE(map.ok()) << map.status();
  std::vector<spec::Diagnostic> d =
      CheckLocalImages(WithContainers({Container("ghcr.io/a/worker:1"),
                                       Container("minio/mc:latest"),
                                       Container("busybox", {"/bin/true"})}),
                       *map);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].severity, spec::Diagnostic::Severity::kWarning);
  EXPECT_EQ(d[0].location.line, 12);
  EXPECT_EQ(d[0].message,
            "spec.jobTargetRef.template.spec.containers[0] (\"worker\", image "
            "\"ghcr.io/a/worker:1\"): the local executor cannot run it: it has "
            "no `command` and dir/ebb-local.yaml has no entry for it; add "
            "`command:` to the container or map the image in ebb-local.yaml "
            "(`command:` or `skip: true`)");
}

TEST(CheckLocalImagesTest, WithoutAMapFileTheWarningSaysNoneWasFound) {
  std::vector<spec::Diagnostic> d =
      CheckLocalImages(WithContainers({Container("w")}), ImageMap());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].message,
              HasSubstr("no ebb-local.yaml was found beside the manifests"));
}

TEST(CheckLocalImagesTest, MappedImageNeedsNoCommand) {
  auto map = ImageMap::Parse(
      "images:\n  - image: ghcr.io/a/worker\n    command: [\"{ebb}\", "
      "worker]\n",
      "ebb-local.yaml");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_TRUE(
      CheckLocalImages(WithContainers({Container("ghcr.io/a/worker:2")}), *map)
          .empty());
}

TEST(CheckLocalImagesTest, SeedExampleHasItsMapBesideIt) {
  const std::string dir =
      std::string(EBB_SOURCE_DIR) + "/examples/stable-diffusion";
  EXPECT_EQ(FindLocalConfig({dir + "/manifests.yaml"}),
            dir + "/ebb-local.yaml");
  EXPECT_EQ(FindLocalConfig({dir}), dir + "/ebb-local.yaml");
  EXPECT_EQ(FindLocalConfig({"/nonexistent/m.yaml"}), "");
}

}  // namespace
}  // namespace ebb::executors::local
