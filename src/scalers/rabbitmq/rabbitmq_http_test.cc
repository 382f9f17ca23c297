// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "scalers/rabbitmq/rabbitmq_scaler.h"

namespace ebb::scalers {
namespace {

RabbitMqMetadata Meta(const std::string& host, const std::string& queue = "q",
                      const std::string& vhost_name = "") {
  RabbitMqMetadata m;
  m.host = host;
  m.queue_name = queue;
  m.vhost_name = vhost_name;
  m.protocol = RabbitMqProtocol::kHttp;
  return m;
}

std::string Url(const std::string& host, const std::string& queue = "q",
                const std::string& vhost_name = "") {
  auto r = BuildManagementRequest(Meta(host, queue, vhost_name));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->url : "";
}

TEST(ManagementUrlTest, DefaultVhost) {
  EXPECT_EQ(Url("http://h:15672/"), "http://h:15672/api/queues/%2F/q");
  EXPECT_EQ(Url("http://h:15672"), "http://h:15672/api/queues/%2F/q");
  EXPECT_EQ(Url("http://h:15672/%2F"), "http://h:15672/api/queues/%2F/q");
}

TEST(ManagementUrlTest, LastSegmentIsVhost) {
  EXPECT_EQ(Url("http://h:15672/vh"), "http://h:15672/api/queues/vh/q");
  EXPECT_EQ(Url("https://h/sub/vh"), "https://h/sub/api/queues/vh/q");
  EXPECT_EQ(Url("http://h/a/b/vh"), "http://h/a/b/api/queues/vh/q");
  // A subpath with a trailing slash: empty vhost -> default.
  EXPECT_EQ(Url("http://h/sub/"), "http://h/sub/api/queues/%2F/q");
}

TEST(ManagementUrlTest, VhostNameOverridesAndIsQueryEscaped) {
  EXPECT_EQ(Url("http://h/sub/vh", "q", "other"),
            "http://h/sub/api/queues/other/q");
  EXPECT_EQ(Url("http://h/vh", "q", "/"), "http://h/api/queues/%2F/q");
  EXPECT_EQ(Url("http://h/", "q", "team/a"), "http://h/api/queues/team%2Fa/q");
}

TEST(ManagementUrlTest, QueueNameIsEscaped) {
  EXPECT_EQ(Url("http://h/", "a b/c"), "http://h/api/queues/%2F/a+b%2Fc");
}

TEST(ManagementUrlTest, CredentialsLeaveTheUrl) {
  auto r = BuildManagementRequest(Meta("http://us%40r:p%3Ass@h:15672/vh"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->url, "http://h:15672/api/queues/vh/q");
  EXPECT_EQ(r->username, "us@r");
  EXPECT_EQ(r->password, "p:ss");
  RabbitMqMetadata m = Meta("http://a:b@h/");
  m.username = "alice";
  m.password = "secret";
  r = BuildManagementRequest(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "alice");
  EXPECT_EQ(r->password, "secret");
}

TEST(ManagementUrlTest, RejectsNonHttp) {
  auto r = BuildManagementRequest(Meta("amqp://u:topsecret@h/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().find("topsecret"), std::string::npos);
}

TEST(QueueInfoJsonTest, MessagesOrReady) {
  const std::string body =
      R"({"name":"q","messages":5,"messages_ready":4,)"
      R"("messages_unacknowledged":1,)"
      R"("message_stats":{"publish_details":{"rate":2.5}}})";
  auto all = ParseQueueInfoJson(body, false);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->messages, 5);
  EXPECT_DOUBLE_EQ(all->publish_rate, 2.5);
  EXPECT_EQ(ParseQueueInfoJson(body, true)->messages, 4);
}

TEST(QueueInfoJsonTest, AbsentFieldsAreZero) {
  auto s = ParseQueueInfoJson(R"({"name":"q"})", false);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->messages, 0);
  EXPECT_EQ(s->publish_rate, 0);
  EXPECT_FALSE(ParseQueueInfoJson("<html>", false).ok());
}

TEST(MilliPrecisionTest, TruncatesAndZeroesBadValues) {
  EXPECT_DOUBLE_EQ(MilliPrecision(1.23456), 1.234);
  EXPECT_EQ(MilliPrecision(-3), 0);
  EXPECT_EQ(MilliPrecision(std::nan("")), 0);
  EXPECT_EQ(MilliPrecision(std::numeric_limits<double>::infinity()), 0);
  EXPECT_EQ(MilliPrecision(7), 7);
}

TEST(MakeReadingTest, QueueLengthActivityIsStrict) {
  RabbitMqMetadata m = Meta("http://h/");
  m.metric_name = "s0-rabbitmq-q";
  RabbitMqQueueStats s;
  s.messages = 0;
  EXPECT_FALSE(MakeReading(m, s).active);
  s.messages = 1;
  MetricReading r = MakeReading(m, s);
  EXPECT_TRUE(r.active);
  EXPECT_EQ(r.value, 1);
  EXPECT_EQ(r.metric_name, "s0-rabbitmq-q");
  m.activation_value = 1;
  EXPECT_FALSE(MakeReading(m, s).active);
}

TEST(MakeReadingTest, MessageRateActiveOnRateOrCount) {
  RabbitMqMetadata m = Meta("http://h/");
  m.mode = RabbitMqMode::kMessageRate;
  RabbitMqQueueStats s;
  s.publish_rate = 0.25;
  MetricReading r = MakeReading(m, s);
  EXPECT_TRUE(r.active);
  EXPECT_DOUBLE_EQ(r.value, 0.25);
  s.publish_rate = 0;
  s.messages = 3;
  r = MakeReading(m, s);
  EXPECT_TRUE(r.active);  // count > activationValue
  EXPECT_EQ(r.value, 0);  // the metric is the rate
}

}  // namespace
}  // namespace ebb::scalers
