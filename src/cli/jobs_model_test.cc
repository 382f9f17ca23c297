// SPDX-License-Identifier: Apache-2.0
#include "cli/jobs_model.h"

#include "gtest/gtest.h"

namespace ebb::cli {
namespace {

using executors::local::ImageMap;
using executors::local::ImageMapping;

spec::ScaledJob Job(std::vector<spec::Container> containers) {
  spec::ScaledJob job;
  job.job_target_ref.template_.containers = std::move(containers);
  return job;
}

spec::Container Worker(std::vector<spec::EnvVar> env = {},
                       std::vector<std::string> args = {}) {
  spec::Container c;
  c.name = "worker";
  c.image = "ghcr.io/kedify/stable-diffusion-worker:latest";
  c.env = std::move(env);
  c.args = std::move(args);
  return c;
}

ImageMap Map(std::vector<std::pair<std::string, std::string>> env = {},
             std::vector<std::string> command = {"{ebb}", "worker"}) {
  ImageMap map;
  ImageMapping worker;
  worker.image = "ghcr.io/kedify/stable-diffusion-worker";
  worker.command = std::move(command);
  worker.env = std::move(env);
  map.Add(worker);
  ImageMapping sidecar;
  sidecar.image = "minio/mc";
  sidecar.skip = true;
  map.Add(sidecar);
  return map;
}

TEST(ModelNamedForJobsTest, NothingNamedIsTheDefault) {
  EXPECT_EQ(ModelNamedForJobs(Job({Worker()}), Map(), {}), "");
  EXPECT_EQ(ModelNamedForJobs(Job({}), Map(), {}), "");
}

// The order of build_job_file.cc: container env < image map env <
// --worker-env; a --model flag beats them all.
TEST(ModelNamedForJobsTest, LaterEnvWinsAndTheFlagBeatsEnv) {
  spec::Container c = Worker({{"EBB_MODEL", "/from/manifest", {}, {}}});
  EXPECT_EQ(ModelNamedForJobs(Job({c}), Map(), {}), "/from/manifest");
  EXPECT_EQ(
      ModelNamedForJobs(Job({c}), Map({{"EBB_MODEL", "/from/image-map"}}), {}),
      "/from/image-map");
  EXPECT_EQ(ModelNamedForJobs(Job({c}), Map({{"EBB_MODEL", "/from/image-map"}}),
                              {{"EBB_MODEL", "sim"}}),
            "sim");
  for (auto args : std::vector<std::vector<std::string>>{
           {"--model", "/flag"}, {"-m", "/flag"}, {"--model=/flag"}}) {
    EXPECT_EQ(ModelNamedForJobs(Job({Worker({}, args)}), Map(),
                                {{"EBB_MODEL", "sim"}}),
              "/flag");
  }
  // In the image map's command too.
  EXPECT_EQ(ModelNamedForJobs(Job({Worker()}),
                              Map({}, {"{ebb}", "worker", "-m", "/cmd"}), {}),
            "/cmd");
}

// A skipped sidecar listed first is not the worker; a secret-backed value is
// not resolved.
TEST(ModelNamedForJobsTest, SkipsSidecarsAndSecretValues) {
  spec::Container sidecar;
  sidecar.image = "minio/mc";
  sidecar.env = {{"EBB_MODEL", "/not/this", {}, {}}};
  spec::EnvVar secret{"EBB_MODEL", "", spec::SecretKeySelector{}, {}};
  EXPECT_EQ(ModelNamedForJobs(Job({sidecar, Worker({secret})}), Map(), {}), "");
  EXPECT_EQ(
      ModelNamedForJobs(
          Job({sidecar, Worker({{"EBB_MODEL", "/this", {}, {}}})}), Map(), {}),
      "/this");
}

}  // namespace
}  // namespace ebb::cli
