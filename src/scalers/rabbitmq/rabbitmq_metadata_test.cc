// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "scalers/rabbitmq/rabbitmq_scaler.h"

namespace ebb::scalers {
namespace {

using Map = std::map<std::string, std::string>;

constexpr char kPassword[] = "s3cretPa55";

// A trigger with `metadata` and the given authParams/env, parsed.
struct Fixture {
  spec::ScaledJob job;
  spec::ScaleTrigger trigger;
  ScalerContext ctx;
  Fixture(Map metadata, Map auth = {}, Map env = {}, int index = 0) {
    job.name = "stable-diff-job";
    job.namespace_ = "ml";
    trigger.type = "rabbitmq";
    trigger.metadata = std::move(metadata);
    ctx.scaled_job = &job;
    ctx.trigger = &trigger;
    ctx.trigger_index = index;
    ctx.auth_params = std::move(auth);
    ctx.resolved_env = std::move(env);
  }
  absl::StatusOr<RabbitMqMetadata> Parse() const {
    return ParseRabbitMqMetadata(ctx);
  }
};

Map Amqp(Map extra = {}) {
  Map m = {{"queueName", "tasks"},
           {"host", std::string("amqp://user:") + kPassword + "@h:5672/"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

Map Http(Map extra = {}) {
  Map m = {{"queueName", "tasks"},
           {"host", std::string("http://user:") + kPassword + "@h:15672/"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

void ExpectError(const absl::StatusOr<RabbitMqMetadata>& r,
                 absl::StatusCode code, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status();
  EXPECT_EQ(r.status().message().find(kPassword), std::string::npos)
      << r.status();
}

TEST(RabbitMqMetadataTest, SeedTrigger) {
  Fixture f({{"queueName", "tasks"},
             {"mode", "QueueLength"},
             {"value", "1"},
             {"activationValue", "0"}},
            {{"host", "amqp://guest:guest@rabbitmq:5672/"}});
  auto m = f.Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->protocol, RabbitMqProtocol::kAmqp);
  EXPECT_EQ(m->mode, RabbitMqMode::kQueueLength);
  EXPECT_EQ(m->value, 1);
  EXPECT_EQ(m->activation_value, 0);
  EXPECT_EQ(m->metric_name, "s0-rabbitmq-tasks");
  EXPECT_EQ(m->connection_name, "keda-ml-stable-diff-job");
}

TEST(RabbitMqMetadataTest, DefaultsToQueueLength20) {
  auto m = Fixture(Amqp()).Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->mode, RabbitMqMode::kQueueLength);
  EXPECT_EQ(m->value, 20);
  EXPECT_EQ(m->page_size, 100);
  EXPECT_EQ(m->activation_value, 0);
}

TEST(RabbitMqMetadataTest, DeprecatedQueueLength) {
  auto m = Fixture(Amqp({{"queueLength", "7"}})).Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->mode, RabbitMqMode::kQueueLength);
  EXPECT_EQ(m->value, 7);
  ExpectError(
      Fixture(Amqp({{"queueLength", "7"}, {"mode", "QueueLength"}})).Parse(),
      absl::StatusCode::kInvalidArgument, "deprecated");
  ExpectError(Fixture(Amqp({{"queueLength", "7"}, {"value", "3"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "deprecated");
}

TEST(RabbitMqMetadataTest, ModeAndValueGoTogether) {
  ExpectError(Fixture(Amqp({{"mode", "QueueLength"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "value");
  ExpectError(Fixture(Amqp({{"value", "5"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "mode");
  ExpectError(Fixture(Amqp({{"mode", "QueueLength"}, {"value", "0"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "greater than 0");
  ExpectError(Fixture(Amqp({{"mode", "QueueLength"}, {"value", "x"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "not a number");
  ExpectError(Fixture(Amqp({{"mode", "Bogus"}, {"value", "1"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "\"QueueLength\"");
  auto m = Fixture(Amqp({{"mode", "QueueLength"},
                         {"value", "0.5"},
                         {"activationValue", "2.5"}}))
               .Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->value, 0.5);
  EXPECT_EQ(m->activation_value, 2.5);
}

TEST(RabbitMqMetadataTest, MessageRateNeedsHttp) {
  ExpectError(Fixture(Amqp({{"mode", "MessageRate"}, {"value", "5"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "http");
  auto m = Fixture(Http({{"mode", "MessageRate"}, {"value", "5"}})).Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->mode, RabbitMqMode::kMessageRate);
  EXPECT_EQ(m->protocol, RabbitMqProtocol::kHttp);
}

TEST(RabbitMqMetadataTest, NotSupportedYet) {
  for (const char* mode : {"DeliverGetRate", "PublishedToDeliveredRatio",
                           "ExpectedQueueConsumptionTime"}) {
    ExpectError(Fixture(Http({{"mode", mode}, {"value", "1"}})).Parse(),
                absl::StatusCode::kUnimplemented, "not supported yet");
  }
  ExpectError(Fixture(Http({{"useRegex", "true"}})).Parse(),
              absl::StatusCode::kUnimplemented, "useRegex");
  ExpectError(Fixture(Amqp(), {{"tls", "enable"}}).Parse(),
              absl::StatusCode::kUnimplemented, "not supported yet");
  ExpectError(Fixture(Amqp(), {{"ca", "PEM"}}).Parse(),
              absl::StatusCode::kUnimplemented, "ca");
  ExpectError(Fixture(Http(), {{"oauthTokenURI", "https://idp/token"}}).Parse(),
              absl::StatusCode::kUnimplemented, "OAuth2");
  Map amqps = Amqp();
  amqps["host"] = std::string("amqps://u:") + kPassword + "@h:5671/";
  ExpectError(Fixture(amqps).Parse(), absl::StatusCode::kUnimplemented,
              "amqps");
  // tls: disable is fine.
  EXPECT_TRUE(Fixture(Amqp(), {{"tls", "disable"}}).Parse().ok());
}

TEST(RabbitMqMetadataTest, HostResolutionOrder) {
  // metadata -> authParams -> hostFromEnv.
  Fixture a(
      {{"queueName", "q"}, {"host", "amqp://meta/"}, {"hostFromEnv", "RMQ"}},
      {{"host", "amqp://auth/"}}, {{"RMQ", "amqp://env/"}});
  EXPECT_EQ(a.Parse()->host, "amqp://meta/");
  Fixture b({{"queueName", "q"}, {"hostFromEnv", "RMQ"}},
            {{"host", "amqp://auth/"}}, {{"RMQ", "amqp://env/"}});
  EXPECT_EQ(b.Parse()->host, "amqp://auth/");
  Fixture c({{"queueName", "q"}, {"hostFromEnv", "RMQ"}}, {},
            {{"RMQ", "http://env:15672/"}});
  auto m = c.Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->host, "http://env:15672/");
  EXPECT_EQ(m->protocol, RabbitMqProtocol::kHttp);
  ExpectError(Fixture(Map{{"queueName", "q"}}).Parse(),
              absl::StatusCode::kInvalidArgument, "host is required");
  ExpectError(Fixture(Map{{"host", "amqp://h/"}}).Parse(),
              absl::StatusCode::kInvalidArgument, "queueName");
}

TEST(RabbitMqMetadataTest, Protocol) {
  Map m = Amqp();
  m["host"] = std::string("ftp://u:") + kPassword + "@h/";
  ExpectError(Fixture(m).Parse(), absl::StatusCode::kInvalidArgument,
              "scheme \"ftp\"");
  ExpectError(Fixture(Amqp({{"protocol", "tcp"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "\"auto\"");
  auto http = Fixture(Amqp(), {{"protocol", "http"}}).Parse();
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->protocol, RabbitMqProtocol::kHttp);
}

TEST(RabbitMqMetadataTest, Credentials) {
  Fixture both(Amqp(), {{"username", "alice"}, {"password", kPassword}});
  auto m = both.Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->username, "alice");
  EXPECT_EQ(m->password, kPassword);
  Fixture env(Amqp({{"usernameFromEnv", "U"}, {"passwordFromEnv", "P"}}), {},
              {{"U", "bob"}, {"P", kPassword}});
  m = env.Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->username, "bob");
  ExpectError(Fixture(Amqp(), {{"password", kPassword}}).Parse(),
              absl::StatusCode::kInvalidArgument, "together");
  ExpectError(Fixture(Amqp(), {{"username", "alice"}}).Parse(),
              absl::StatusCode::kInvalidArgument, "together");
}

TEST(RabbitMqMetadataTest, HttpOnlyOptions) {
  ExpectError(Fixture(Amqp({{"excludeUnacknowledged", "true"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "excludeUnacknowledged");
  ExpectError(Fixture(Amqp({{"timeout", "5s"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "timeout");
  EXPECT_TRUE(Fixture(Amqp({{"timeout", "0"}})).Parse().ok());
  auto m = Fixture(Http({{"excludeUnacknowledged", "true"},
                         {"timeout", "5s"},
                         {"unsafeSsl", "true"}}))
               .Parse();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->exclude_unacknowledged);
  EXPECT_EQ(m->timeout_ms, 5000);
  EXPECT_TRUE(m->unsafe_ssl);
  EXPECT_EQ(Fixture(Http({{"timeout", "1500"}})).Parse()->timeout_ms, 1500);
  ExpectError(Fixture(Http({{"timeout", "soon"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "timeout");
  ExpectError(Fixture(Http({{"excludeUnacknowledged", "yes"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "not a bool");
}

TEST(RabbitMqMetadataTest, PageSizeAndOperation) {
  ExpectError(Fixture(Http({{"pageSize", "0"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "pageSize");
  EXPECT_EQ(Fixture(Http({{"pageSize", "7"}})).Parse()->page_size, 7);
  ExpectError(Fixture(Http({{"operation", "median"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "\"sum\"");
}

TEST(RabbitMqMetadataTest, MetricNameIsNormalized) {
  Fixture f({{"queueName", "a.b/c:d e"}, {"host", "amqp://h/"}}, {}, {}, 3);
  // QueryEscape: "a.b%2Fc%3Ad+e", then / . : % -> '-'.
  EXPECT_EQ(f.Parse()->metric_name, "s3-rabbitmq-a-b-2Fc-3Ad+e");
}

TEST(RabbitMqMetadataTest, SecretsNeverInErrors) {
  // The password as a vhost/queue-ish value, in every failing path.
  ExpectError(Fixture(Amqp({{"mode", kPassword}, {"value", "1"}})).Parse(),
              absl::StatusCode::kInvalidArgument, "mode");
  ExpectError(
      Fixture(Amqp({{"value", kPassword}, {"mode", "QueueLength"}})).Parse(),
      absl::StatusCode::kInvalidArgument, "value");
  Map bad = Amqp();
  bad["host"] = std::string("nope://user:") + kPassword + "@h/";
  ExpectError(Fixture(bad).Parse(), absl::StatusCode::kInvalidArgument,
              "scheme");
}

TEST(QueryEscapeTest, MatchesGo) {
  EXPECT_EQ(QueryEscape("/"), "%2F");
  EXPECT_EQ(QueryEscape("a b+c~_.-"), "a+b%2Bc~_.-");
  EXPECT_EQ(QueryEscape("vh/1"), "vh%2F1");
}

}  // namespace
}  // namespace ebb::scalers
