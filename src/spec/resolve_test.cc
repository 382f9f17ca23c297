// SPDX-License-Identifier: Apache-2.0
#include "spec/resolve.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::LoadText;
using ::ebb::spec::testing::SeedPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

TEST(ResolveTest, SeedAuthParamsAndContainerEnv) {
  absl::StatusOr<LoadResult> r = LoadManifests({SeedPath()});
  ASSERT_TRUE(r.ok()) << r.status();
  const ScaledJob& job = r->manifests.scaled_jobs.at(0);
  absl::StatusOr<std::map<std::string, std::string>> params =
      ResolveAuthParams(job, job.triggers.at(0), r->manifests);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params,
              ElementsAre(Pair("host", "amqp://guest:guest@127.0.0.1:5672/")));

  absl::StatusOr<const Container*> c = EnvSourceContainer(job);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->name, "stable-diffusion-worker");
  absl::StatusOr<std::map<std::string, std::string>> env =
      ResolveContainerEnv(**c, job.namespace_, r->manifests);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(
      *env,
      ElementsAre(Pair("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
                  Pair("DEVICE", "GPU"), Pair("EXIT_AFTER_ONE_TASK", "1")));

  c = EnvSourceContainer(job, "minio-sidecar");
  ASSERT_TRUE(c.ok());
  env = ResolveContainerEnv(**c, job.namespace_, r->manifests);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("MINIO_PASSWORD"), "change-me-please");
  EXPECT_EQ(EnvSourceContainer(job, "nope").status().code(),
            absl::StatusCode::kNotFound);
}

constexpr char kManifests[] = R"(apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {host: amqp://u:TopSecret1@h/, user: alice}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: ta}
spec:
  env:
    - {parameter: host, name: HOST_FROM_ENV}
    - {parameter: vhostName, name: VHOST, containerName: side}
    - {parameter: missing, name: NOT_SET}
  secretTargetRef:
    - {parameter: host, name: s, key: host}
    - {parameter: username, name: s, key: user}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: broken}
spec:
  secretTargetRef:
    - {parameter: password, name: s, key: pass}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  envSourceContainerName: main
  jobTargetRef:
    template:
      spec:
        containers:
          - name: side
            env: [{name: VHOST, value: side-vhost}]
          - name: main
            env:
              - {name: HOST_FROM_ENV, value: amqp://env/}
              - {name: OPT, valueFrom: {secretKeyRef: {name: s, key: nope, optional: true}}}
  triggers:
    - {type: rabbitmq, name: ok, authenticationRef: {name: ta}}
    - {type: rabbitmq, name: bad, authenticationRef: {name: broken}}
    - {type: rabbitmq, name: none}
)";

TEST(ResolveTest, EnvFirstThenSecretTargetRefOverwrites) {
  LoadResult r = LoadText(kManifests);
  const ScaledJob& job = r.manifests.scaled_jobs.at(0);
  absl::StatusOr<std::map<std::string, std::string>> params =
      ResolveAuthParams(job, job.triggers[0], r.manifests);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(
      *params,
      ElementsAre(Pair("host", "amqp://u:TopSecret1@h/"), Pair("missing", ""),
                  Pair("username", "alice"), Pair("vhostName", "side-vhost")));
  params = ResolveAuthParams(job, job.triggers[2], r.manifests);
  ASSERT_TRUE(params.ok());
  EXPECT_TRUE(params->empty());
}

TEST(ResolveTest, MissingKeyNamesSecretAndKeyNotValues) {
  LoadResult r = LoadText(kManifests);
  // Validation flags the broken TriggerAuthentication too, without values.
  EXPECT_THAT(AllDiagnostics(r), HasSubstr("Secret \"s\" has no key \"pass\""));
  EXPECT_THAT(AllDiagnostics(r), Not(HasSubstr("TopSecret1")));
  const ScaledJob& job = r.manifests.scaled_jobs.at(0);
  absl::StatusOr<std::map<std::string, std::string>> params =
      ResolveAuthParams(job, job.triggers[1], r.manifests);
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), absl::StatusCode::kNotFound);
  const std::string message(params.status().message());
  EXPECT_THAT(message, HasSubstr("Secret \"s\" has no key \"pass\""));
  EXPECT_THAT(message, Not(HasSubstr("TopSecret1")));
  EXPECT_THAT(message, Not(HasSubstr("alice")));
}

TEST(ResolveTest, OptionalSecretRefIsLeftOutAndRequiredOneFails) {
  LoadResult r = LoadText(kManifests);
  const ScaledJob& job = r.manifests.scaled_jobs.at(0);
  absl::StatusOr<const Container*> main = EnvSourceContainer(job);
  ASSERT_TRUE(main.ok());
  EXPECT_EQ((*main)->name, "main");
  absl::StatusOr<std::map<std::string, std::string>> env =
      ResolveContainerEnv(**main, "default", r.manifests);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre(Pair("HOST_FROM_ENV", "amqp://env/")));

  Container c;
  c.name = "x";
  EnvVar var;
  var.name = "PW";
  var.secret_key_ref = SecretKeySelector{"s", "nope", false};
  c.env.push_back(var);
  env = ResolveContainerEnv(c, "default", r.manifests);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(env.status().message()),
              HasSubstr("Secret \"s\" has no key \"nope\""));
  env = ResolveContainerEnv(c, "other-namespace", r.manifests);
  EXPECT_THAT(
      std::string(env.status().message()),
      HasSubstr("Secret \"s\" not found in namespace \"other-namespace\""));
}

TEST(ResolveTest, MissingTriggerAuthenticationIsNotFound) {
  LoadResult r = LoadText(kManifests);
  ScaledJob job = r.manifests.scaled_jobs.at(0);
  job.triggers[0].authentication_ref->name = "gone";
  absl::StatusOr<std::map<std::string, std::string>> params =
      ResolveAuthParams(job, job.triggers[0], r.manifests);
  EXPECT_EQ(params.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(params.status().message()),
              HasSubstr("TriggerAuthentication \"gone\" not found"));
}

}  // namespace
}  // namespace ebb::spec
