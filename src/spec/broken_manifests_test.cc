// SPDX-License-Identifier: Apache-2.0
//
// Each file under tests/data/manifests/broken/ has exactly one defect; loading
// it must give exactly one diagnostic, at the exact file:line:column, with the
// exact message.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "spec/manifests.h"
#include "spec/test_util.h"

namespace ebb::spec {
namespace {

using ::ebb::spec::testing::AllDiagnostics;
using ::ebb::spec::testing::SourcePath;

struct BrokenCase {
  const char* file;      // under tests/data/manifests/broken/, without .yaml
  const char* where;     // "line:column"
  const char* severity;  // "error" or "warning"
  const char* message;
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.file; }

class BrokenManifestTest : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenManifestTest, GivesExactlyTheExpectedDiagnostic) {
  const BrokenCase& c = GetParam();
  const std::string path = SourcePath(
      std::string("tests/data/manifests/broken/") + c.file + ".yaml");
  absl::StatusOr<LoadResult> r = LoadManifests({path});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->diagnostics.size(), 1u) << AllDiagnostics(*r);
  EXPECT_EQ(r->diagnostics[0].ToString(),
            path + ":" + c.where + ": " + c.severity + ": " + c.message);
  EXPECT_EQ(r->HasErrors(), std::string(c.severity) == "error");
}

const BrokenCase kCases[] = {
    {"bad_strategy_enum", "14:15", "error",
     "spec.scalingStrategy.strategy: \"acurate\" is not one of \"default\", "
     "\"custom\", \"accurate\", \"eager\" (did you mean \"accurate\"?)"},
    {"polling_interval_zero", "13:20", "error",
     "spec.pollingInterval: must be at least 1, got 0"},
    {"metric_type_set", "17:19", "error",
     "spec.triggers[0].metricType: Cannot set metricType in ScaledJob "
     "triggers (the target is always AverageValue)"},
    {"duplicate_trigger_names", "18:13", "error",
     "spec.triggers[1].name: duplicate trigger name \"orders\" (also "
     "spec.triggers[0]); trigger names must be unique"},
    {"missing_auth_target", "18:15", "error",
     "spec.triggers[0].authenticationRef: TriggerAuthentication "
     "\"rabbit-conn\" not found in namespace \"default\" (did you mean "
     "\"rabbitmq-conn\"?)"},
    {"missing_secret_key", "15:7", "error",
     "spec.secretTargetRef[0]: Secret \"rabbitmq\" has no key \"host\" "
     "(parameter \"host\" of TriggerAuthentication \"rabbitmq-conn\")"},
    {"max_replica_zero", "13:20", "error",
     "spec.maxReplicaCount: must be at least 1, got 0"},
    {"restart_policy_always", "10:24", "error",
     "spec.jobTargetRef.template.spec.restartPolicy: \"Always\" is not one of "
     "\"OnFailure\", \"Never\" (Jobs reject Always)"},
    {"unknown_field_typo", "13:3", "warning",
     "spec.pollingIntervall: unknown field \"pollingIntervall\" (did you mean "
     "\"pollingInterval\"?); it is ignored"},
    {"yaml_syntax_error", "14:11", "error",
     "YAML syntax error: end of sequence flow not found"},
    {"min_greater_than_max", "13:20", "warning",
     "spec.minReplicaCount (5) is greater than spec.maxReplicaCount (3): KEDA "
     "then keeps 3 jobs as the floor and still allows 3 more above it, so up "
     "to 6 jobs can run at once; set minReplicaCount <= maxReplicaCount"},
    {"bad_propagation_policy", "15:24", "error",
     "spec.rollout.propagationPolicy: \"forground\" is not one of "
     "\"foreground\", \"background\" (did you mean \"foreground\"?)"},
    {"missing_job_target_ref", "6:1", "error",
     "spec.jobTargetRef: required field is missing"},
    {"no_triggers", "13:13", "error",
     "spec.triggers: at least one trigger is required"},
    {"bad_multiple_scalers_calculation", "14:33", "error",
     "spec.scalingStrategy.multipleScalersCalculation: \"average\" is not one "
     "of \"min\", \"max\", \"avg\", \"sum\""},
    {"bad_auth_ref_kind", "19:15", "error",
     "spec.triggers[0].authenticationRef.kind: \"Secret\" is not one of "
     "\"TriggerAuthentication\", \"ClusterTriggerAuthentication\""},
    {"empty_trigger_type", "14:13", "error",
     "spec.triggers[0].type: required, must be non-empty"},
    {"negative_history_limit", "13:27", "error",
     "spec.failedJobsHistoryLimit: must be at least 0, got -1"},
    {"bad_rollout_strategy", "14:15", "error",
     "spec.rollout.strategy: \"rolling\" is not one of \"default\", "
     "\"gradual\", \"immediate\""},
    {"container_secret_missing", "14:17", "error",
     "spec.jobTargetRef.template.spec.containers[0].env[0].valueFrom."
     "secretKeyRef: Secret \"rabbitmq\" not found in namespace \"default\" "
     "(env AMQP_URL)"},
    {"nested_too_deeply", "8:1211", "error",
     "YAML is nested too deeply (more than 500 levels of maps and "
     "lists); manifests nest a few dozen levels at most"},
};

INSTANTIATE_TEST_SUITE_P(Broken, BrokenManifestTest,
                         ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BrokenCase>& info) {
                           return std::string(info.param.file);
                         });

TEST(BrokenManifestDirTest, EveryFileIsCovered) {
  absl::StatusOr<LoadResult> r =
      LoadManifests({SourcePath("tests/data/manifests/broken")});
  ASSERT_TRUE(r.ok()) << r.status();
  std::set<std::string> files;
  for (const Diagnostic& d : r->diagnostics) files.insert(d.location.file);
  EXPECT_EQ(files.size(), std::size(kCases));
}

}  // namespace
}  // namespace ebb::spec
