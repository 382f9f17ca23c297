// SPDX-License-Identifier: Apache-2.0
#include "executors/local/image_map.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace ebb::executors::local {
namespace {

TEST(ImageMapTest, RepositoryIgnoresTagDigestAndDockerHubPrefix) {
  EXPECT_EQ(ImageMap::Repository("ghcr.io/a/b:1.2"), "ghcr.io/a/b");
  EXPECT_EQ(ImageMap::Repository("ghcr.io/a/b@sha256:abc"), "ghcr.io/a/b");
  EXPECT_EQ(ImageMap::Repository("docker.io/library/busybox:1"), "busybox");
  EXPECT_EQ(ImageMap::Repository("docker.io/minio/mc"), "minio/mc");
  EXPECT_EQ(ImageMap::Repository("localhost:5000/x:tag"), "localhost:5000/x");
  EXPECT_EQ(ImageMap::Repository("localhost:5000/x"), "localhost:5000/x");
}

TEST(ImageMapTest, ParsesSeedMapping) {
  auto m = ImageMap::Parse(R"(images:
  - image: ghcr.io/kedify/stable-diffusion-worker
    command: ["{ebb}", "worker"]
    readiness: notify
    env: {DEVICE: cuda}
  - image: minio/mc
    skip: true
)",
                           "images.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  const ImageMapping* w =
      m->Find("ghcr.io/kedify/stable-diffusion-worker:latest");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->command, (std::vector<std::string>{"{ebb}", "worker"}));
  EXPECT_EQ(w->readiness, "notify");
  ASSERT_EQ(w->env.size(), 1u);
  EXPECT_EQ(w->env[0].second, "cuda");
  const ImageMapping* mc = m->Find("minio/mc:RELEASE.2024");
  ASSERT_NE(mc, nullptr);
  EXPECT_TRUE(mc->skip);
  EXPECT_EQ(m->Find("nginx"), nullptr);
  EXPECT_EQ(m->source(), "images.yaml");
}

TEST(ImageMapTest, ErrorsNameFileLineAndAllowedValues) {
  auto bad = ImageMap::Parse("images:\n  - image: x\n    readiness: ready\n",
                             "m.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "m.yaml:3"))
      << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "\"notify\""));
  auto typo =
      ImageMap::Parse("images:\n  - image: x\n    skipp: true\n", "m.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_TRUE(absl::StrContains(typo.status().message(), "skipp"));
  EXPECT_FALSE(ImageMap::Parse("images: [", "m.yaml").ok());
  EXPECT_FALSE(ImageMap::Parse("images:\n  - image: x\n", "m.yaml").ok());
  EXPECT_TRUE(ImageMap::Parse("", "m.yaml").ok());
}

}  // namespace
}  // namespace ebb::executors::local
