// SPDX-License-Identifier: Apache-2.0
#include "scalers/validate_triggers.h"

#include <gtest/gtest.h>

#include "scalers/rabbitmq/rabbitmq_scaler.h"

namespace ebb::scalers {
namespace {

constexpr char kPassword[] = "hunter2-secret";

class ValidateTriggersTest : public ::testing::Test {
 protected:
  ValidateTriggersTest() {
    registry_.Register(NewRabbitMqScalerFactory());
    spec::Secret secret;
    secret.name = "stablediff-rabbitmq";
    secret.data["host"] =
        std::string("amqp://user:") + kPassword + "@rabbitmq:5672/";
    result_.manifests.secrets.push_back(secret);
    spec::TriggerAuthentication ta;
    ta.name = "stablediff-rabbitmq-auth";
    spec::SecretTargetRef ref;
    ref.parameter = "host";
    ref.name = "stablediff-rabbitmq";
    ref.key = "host";
    ta.secret_target_ref.push_back(ref);
    result_.manifests.trigger_authentications.push_back(ta);

    job_.name = "stable-diff-job";
    spec::Container c;
    c.name = "worker";
    job_.job_target_ref.template_.containers.push_back(c);
    trigger_.type = "rabbitmq";
    trigger_.location = {"sj.yaml", 30, 7};
    trigger_.metadata = {
        {"queueName", "tasks"}, {"mode", "QueueLength"}, {"value", "1"}};
    trigger_.authentication_ref = spec::AuthenticationRef{
        "stablediff-rabbitmq-auth", "TriggerAuthentication"};
  }

  std::vector<spec::Diagnostic> Run() {
    job_.triggers = {trigger_};
    result_.manifests.scaled_jobs = {job_};
    ValidateTriggers(registry_, &result_);
    for (const auto& d : result_.diagnostics) {
      EXPECT_EQ(d.message.find(kPassword), std::string::npos) << d.message;
    }
    return result_.diagnostics;
  }

  ScalerRegistry registry_;
  spec::LoadResult result_;
  spec::ScaledJob job_;
  spec::ScaleTrigger trigger_;
};

bool Has(const std::vector<spec::Diagnostic>& ds,
         spec::Diagnostic::Severity sev, const std::string& needle) {
  for (const auto& d : ds) {
    if (d.severity == sev && d.message.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

using Sev = spec::Diagnostic::Severity;

TEST_F(ValidateTriggersTest, SeedPairingWarnsStarvation) {
  auto ds = Run();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].severity, Sev::kWarning);
  EXPECT_NE(ds[0].message.find("starvation"), std::string::npos);
  EXPECT_NE(ds[0].message.find("\"accurate\""), std::string::npos);
  EXPECT_EQ(ds[0].location.line, 30);
}

TEST_F(ValidateTriggersTest, AccurateWithAmqpIsClean) {
  job_.scaling_strategy.strategy = spec::ScalingStrategyType::kAccurate;
  EXPECT_TRUE(Run().empty());
}

TEST_F(ValidateTriggersTest, AccurateWithHttpMessagesWarnsDuplicates) {
  job_.scaling_strategy.strategy = spec::ScalingStrategyType::kEager;
  trigger_.metadata["protocol"] = "http";
  result_.manifests.secrets[0].data["host"] =
      std::string("http://user:") + kPassword + "@rabbitmq:15672/";
  auto ds = Run();
  EXPECT_TRUE(Has(ds, Sev::kWarning, "duplicate"));
  EXPECT_TRUE(Has(ds, Sev::kWarning, "excludeUnacknowledged"));
}

TEST_F(ValidateTriggersTest, HttpExcludingUnackedWithDefaultWarnsStarvation) {
  trigger_.metadata["excludeUnacknowledged"] = "true";
  result_.manifests.secrets[0].data["host"] =
      std::string("http://user:") + kPassword + "@rabbitmq:15672/";
  EXPECT_TRUE(Has(Run(), Sev::kWarning, "starvation"));
}

TEST_F(ValidateTriggersTest, DefaultWithHttpMessagesIsClean) {
  result_.manifests.secrets[0].data["host"] =
      std::string("http://user:") + kPassword + "@rabbitmq:15672/";
  EXPECT_TRUE(Run().empty());
}

TEST_F(ValidateTriggersTest, UnknownTypeListsRegisteredTypes) {
  trigger_.type = "rabbitmqq";
  auto ds = Run();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].severity, Sev::kError);
  EXPECT_NE(ds[0].message.find("\"rabbitmq\""), std::string::npos);
  EXPECT_EQ(ds[0].location.line, 30);
}

TEST_F(ValidateTriggersTest, MisspelledKeyWarnsAtItsLineWithSuggestion) {
  job_.scaling_strategy.strategy = spec::ScalingStrategyType::kAccurate;
  trigger_.metadata["excludeUnackowledged"] = "true";  // kedacore/keda#6571
  trigger_.metadata_locations["excludeUnackowledged"] = {"sj.yaml", 35, 9};
  auto ds = Run();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].severity, Sev::kWarning);
  EXPECT_EQ(ds[0].location.line, 35);
  EXPECT_NE(ds[0].message.find("did you mean \"excludeUnacknowledged\""),
            std::string::npos)
      << ds[0].message;
}

TEST_F(ValidateTriggersTest, BadMetadataValueIsReportedAtTheKeysLine) {
  trigger_.metadata["value"] = "one";
  trigger_.metadata_locations["value"] = {"sj.yaml", 34, 16};
  trigger_.metadata_locations["queueName"] = {"sj.yaml", 32, 20};
  auto ds = Run();
  ASSERT_FALSE(ds.empty());
  EXPECT_EQ(ds[0].severity, Sev::kError);
  EXPECT_EQ(ds[0].location.line, 34) << ds[0].ToString();
}

TEST_F(ValidateTriggersTest, NoPairingWarningForAnInvalidStrategy) {
  job_.scaling_strategy.strategy_as_written = "acurate";  // spec reports it
  auto ds = Run();
  EXPECT_TRUE(ds.empty()) << ds[0].ToString();
}

TEST_F(ValidateTriggersTest, FactoryErrorsAreReportedWithoutSecrets) {
  trigger_.metadata["mode"] = "MessageRate";  // needs http
  auto ds = Run();
  EXPECT_TRUE(Has(ds, Sev::kError, "MessageRate needs protocol http"));
  trigger_.metadata["mode"] = "DeliverGetRate";
  result_.diagnostics.clear();
  EXPECT_TRUE(Has(Run(), Sev::kError, "not supported yet"));
}

TEST_F(ValidateTriggersTest, MissingTriggerAuthenticationIsLeftToSpec) {
  // spec::ValidateManifests reports it at the authenticationRef's line;
  // reporting it here too would say it twice.
  trigger_.authentication_ref->name = "nope";
  auto ds = Run();
  for (const auto& d : ds) EXPECT_EQ(d.severity, Sev::kWarning) << d.message;
}

// A missing TriggerAuthentication used to hide a mode typo, which hid a bad
// value: three runs of `ebb validate` for three errors. One pass, once each.
TEST(ValidateTriggersOnePassTest, EveryErrorOfATriggerOnceEach) {
  ScalerRegistry registry;
  registry.Register(NewRabbitMqScalerFactory());
  spec::LoadResult r;
  spec::ParseManifests(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: j}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: w
            command: [w]
  triggers:
    - type: rabbitmq
      metadata:
        queueName: tasks
        mode: QueueLenght
        value: abc
      authenticationRef:
        name: missing-auth
)",
                       "t.yaml", &r);
  for (spec::ScaledJob& job : r.manifests.scaled_jobs) {
    spec::NormalizeScaledJob(&job);
  }
  spec::ValidateManifests(&r);
  ValidateTriggers(registry, &r);
  std::vector<std::string> got;
  for (const auto& d : r.diagnostics) got.push_back(d.ToString());
  const std::string label = "ScaledJob \"j\" trigger 0 (rabbitmq): ";
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "t.yaml:19:15: error: spec.triggers[0].authenticationRef: "
                "TriggerAuthentication \"missing-auth\" not found in "
                "namespace \"default\"",
                "t.yaml:16:15: error: " + label +
                    "rabbitmq: mode \"QueueLenght\" is not allowed; allowed: "
                    "\"QueueLength\", \"MessageRate\" (did you mean "
                    "\"QueueLength\"?)",
                "t.yaml:17:16: error: " + label +
                    "rabbitmq: value \"abc\" is not a number"}));
}

TEST(ScalerRegistryTest, RegisterFindTypes) {
  ScalerRegistry r;
  EXPECT_EQ(r.Find("rabbitmq"), nullptr);
  r.Register(NewRabbitMqScalerFactory());
  ASSERT_NE(r.Find("rabbitmq"), nullptr);
  EXPECT_EQ(r.Types(), std::vector<std::string>{"rabbitmq"});
}

TEST(RabbitMqFactoryTest, CountsInFlightAndQueueName) {
  auto f = NewRabbitMqScalerFactory();
  spec::ScaledJob job;
  spec::ScaleTrigger t;
  t.type = "rabbitmq";
  t.metadata = {{"queueName", "tasks"}, {"host", "amqp://h/"}};
  ScalerContext ctx;
  ctx.scaled_job = &job;
  ctx.trigger = &t;
  EXPECT_EQ(f->CountsInFlight(ctx), InFlightCounting::kExcluded);
  EXPECT_EQ(f->QueueName(ctx), "tasks");
  t.metadata["host"] = "http://h:15672/";
  EXPECT_EQ(f->CountsInFlight(ctx), InFlightCounting::kIncluded);
  t.metadata["excludeUnacknowledged"] = "true";
  EXPECT_EQ(f->CountsInFlight(ctx), InFlightCounting::kExcluded);
}

}  // namespace
}  // namespace ebb::scalers
