// SPDX-License-Identifier: Apache-2.0
//
// Size limits (spec/limits.h): oversized files, objects, Secret data and exec
// strings are errors naming the file, line, field, size and limit, and never
// a Secret value.
#include "spec/limits.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/manifests.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::LoadText;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A ScaledJob whose one container has `env_yaml` as its env list.
std::string JobWithEnv(const std::string& env_yaml,
                       const std::string& extra_docs = "") {
  return absl::StrCat(extra_docs, R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: w
            env:
)",
                      env_yaml, R"(  triggers:
    - type: rabbitmq
      metadata: {queueName: q, host: "amqp://h"}
)");
}

std::vector<Diagnostic> Errors(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) out.push_back(d);
  }
  return out;
}

TEST(ManifestLimitsTest, FileOverTheCapIsRefusedBeforeItIsRead) {
  const std::string big(kMaxManifestFileBytes + 1, '#');
  const std::string path = WriteTemp("big.yaml", big);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<LoadResult> r = LoadManifests({path});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->diagnostics.size(), 1u) << AllDiagnostics(*r);
  EXPECT_EQ(r->diagnostics[0].ToString(),
            absl::StrCat(path, ": error: file is ", big.size(),
                         " bytes; manifest files are limited to 8 MiB "
                         "(8388608 bytes) (one object may be at most 1 MiB "
                         "(1048576 bytes)); file not read"));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ManifestLimitsTest, ObjectOverOneMebibyteIsSkippedWithItsSize) {
  const std::string value(kMaxObjectBytes, 'x');
  const std::string text = absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
      "stringData:\n  big: ",
      value, "\n");
  LoadResult r = LoadText("---\n" + text);
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.size();
  EXPECT_EQ(r.diagnostics[0].location.line, 2);
  EXPECT_THAT(r.diagnostics[0].message,
              HasSubstr(absl::StrCat("Secret is ", text.size(),
                                     " bytes of YAML; an object is limited "
                                     "to 1 MiB (1048576 bytes)")));
  EXPECT_TRUE(r.manifests.secrets.empty());
}

TEST(ManifestLimitsTest, SecretDataOverOneMebibyteThroughAliasesIsAnError) {
  // 600 KB of text, 1.2 MB of data: an alias repeats the value.
  const std::string value(600 * 1000, 'v');
  LoadResult r = LoadText(absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n"
      "  a: &v ",
      value, "\n  b: *v\n"));
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.size();
  EXPECT_EQ(r.diagnostics[0].location.line, 5);
  EXPECT_EQ(r.diagnostics[0].message,
            "Secret \"s\": data totals 1200000 bytes (largest key \"a\": "
            "600000 bytes); a Secret's data is limited to 1 MiB (1048576 "
            "bytes) in Kubernetes");
}

TEST(ManifestLimitsTest, EnvValueOverMaxArgStrlenNamesFieldSizeAndLimit) {
  const std::string value(200 * 1000, 'e');
  LoadResult r = LoadText(JobWithEnv(
      absl::StrCat("              - {name: BIG, value: ", value, "}\n")));
  std::vector<Diagnostic> errors = Errors(r);
  ASSERT_EQ(errors.size(), 1u) << AllDiagnostics(r).substr(0, 2000);
  EXPECT_EQ(errors[0].ToString(),
            "t.yaml:12:17: error: spec.jobTargetRef.template.spec."
            "containers[0].env[0] (BIG) is 200005 bytes; Linux limits each "
            "argument and environment string to 131072 bytes "
            "(MAX_ARG_STRLEN), so the job could not start");
}

TEST(ManifestLimitsTest, SecretBackedEnvValueIsMeasuredButNeverPrinted) {
  const std::string value = std::string(140 * 1000, 's') + "TOPSECRET";
  LoadResult r = LoadText(JobWithEnv(
      "              - name: TOKEN\n"
      "                valueFrom: {secretKeyRef: {name: s, key: k}}\n",
      absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                   "stringData: {k: ",
                   value, "}\n---\n")));
  std::vector<Diagnostic> errors = Errors(r);
  ASSERT_EQ(errors.size(), 1u) << AllDiagnostics(r).substr(0, 2000);
  EXPECT_THAT(errors[0].message,
              HasSubstr("env[0] (TOKEN, from Secret \"s\" key \"k\") is "
                        "140016 bytes"));
  EXPECT_THAT(errors[0].message, Not(HasSubstr("TOPSECRET")));
}

TEST(ManifestLimitsTest, ArgvAndEnvOverArgMaxNameTheContainerAndTheBudget) {
  // Each value within MAX_ARG_STRLEN, together over ARG_MAX; YAML aliases
  // repeat one value, so the object stays within its 1 MiB.
  const int64_t budget = ExecBudgetBytes();
  const int64_t each = 120 * 1000;
  std::string env = absl::StrCat("              - {name: V0, value: &v ",
                                 std::string(each, 'x'), "}\n");
  for (int64_t i = 1; i * each <= budget; ++i) {
    absl::StrAppend(&env, "              - {name: V", i, ", value: *v}\n");
  }
  LoadResult r = LoadText(JobWithEnv(env));
  std::vector<Diagnostic> errors = Errors(r);
  ASSERT_EQ(errors.size(), 1u) << AllDiagnostics(r).substr(0, 2000);
  EXPECT_EQ(errors[0].location.line, 9);
  EXPECT_THAT(
      errors[0].message,
      HasSubstr(absl::StrCat(
          "spec.jobTargetRef.template.spec.containers[0]: command, args and "
          "env total ")));
  EXPECT_THAT(errors[0].message,
              HasSubstr(absl::StrCat("this machine's exec limit (ARG_MAX) "
                                     "leaves ",
                                     DescribeBytes(budget))));
}

TEST(ManifestLimitsTest, LongArgumentIsAnErrorAtItsLine) {
  LoadResult r = LoadText(absl::StrCat(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: w
            command: [run]
            args:
              - short
              - )",
                                       std::string(kMaxArgStrlen, 'a'), R"(
  triggers:
    - type: rabbitmq
      metadata: {queueName: q, host: "amqp://h"}
)"));
  std::vector<Diagnostic> errors = Errors(r);
  ASSERT_EQ(errors.size(), 1u) << AllDiagnostics(r).substr(0, 2000);
  EXPECT_EQ(errors[0].location.line, 14);
  EXPECT_THAT(errors[0].message,
              HasSubstr("containers[0].args[1] is 131073 bytes"));
}

TEST(ManifestLimitsTest, NestingJustWithinTheLimitParses) {
  const int depth = kMaxYamlDepth - 10;
  LoadResult r = LoadText(
      absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                   "x: ",
                   std::string(depth, '['), std::string(depth, ']'), "\n"));
  for (const Diagnostic& d : r.diagnostics) {
    EXPECT_THAT(d.message, Not(HasSubstr("nested too deeply")));
  }
}

}  // namespace
}  // namespace ebb::spec
