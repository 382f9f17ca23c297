// SPDX-License-Identifier: Apache-2.0
#include "queue/rabbitmq/amqp_util.h"

#include "gtest/gtest.h"
#include "queue/message_queue.h"

namespace ebb::queue::amqp {
namespace {

TEST(ParseUrlTest, ParsesAllParts) {
  auto u = ParseUrl("amqp://alice:s3cret@broker.local:5673/prod");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "broker.local");
  EXPECT_EQ(u->port, 5673);
  EXPECT_EQ(u->user, "alice");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->vhost, "prod");
}

TEST(ParseUrlTest, EmptyOrSlashVhostIsDefault) {
  EXPECT_EQ(ParseUrl("amqp://u:p@h:5672/")->vhost, "/");
  EXPECT_EQ(ParseUrl("amqp://u:p@h:5672")->vhost, "/");
  EXPECT_EQ(ParseUrl("amqp://u:p@h:5672/%2F")->vhost, "/");
}

TEST(ParseUrlTest, MalformedIsInvalidArgumentWithMaskedPassword) {
  auto u = ParseUrl("http://u:topsecret@h:5672/");
  ASSERT_TRUE(absl::IsInvalidArgument(u.status()));
  EXPECT_EQ(u.status().message().find("topsecret"), std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseUrl("amqps://u:topsecret@h:5671/").status()));
}

TEST(TableTest, IntegersForKnownHeadersStringsOtherwiseRoundTrip) {
  OutgoingTable t(
      std::map<std::string, std::string>{{kHeaderEnqueuedAtMs, "1764452400123"},
                                         {kHeaderAttempt, "3"},
                                         {"x-ebb-last-error", "42"},
                                         {"x-other", "hello"}});
  amqp_table_t table = t.table();
  ASSERT_EQ(table.num_entries, 4);
  for (int i = 0; i < table.num_entries; ++i) {
    const std::string key = ToString(table.entries[i].key);
    const bool is_int = key == kHeaderEnqueuedAtMs || key == kHeaderAttempt;
    EXPECT_EQ(table.entries[i].value.kind,
              is_int ? AMQP_FIELD_KIND_I64 : AMQP_FIELD_KIND_UTF8)
        << key;
  }
  auto rendered = RenderTable(table);
  EXPECT_EQ(rendered.at(kHeaderEnqueuedAtMs), "1764452400123");
  EXPECT_EQ(rendered.at(kHeaderAttempt), "3");
  EXPECT_EQ(rendered.at("x-ebb-last-error"), "42");
  EXPECT_EQ(rendered.at("x-other"), "hello");
}

TEST(TableTest, NonNumericAttemptStaysString) {
  OutgoingTable t(std::map<std::string, std::string>{{kHeaderAttempt, "many"}});
  amqp_table_t table = t.table();
  ASSERT_EQ(table.num_entries, 1);
  EXPECT_EQ(table.entries[0].value.kind, AMQP_FIELD_KIND_UTF8);
}

TEST(TimevalForTest, ConvertsAndClampsNegative) {
  struct timeval tv = TimevalFor(absl::Milliseconds(1500));
  EXPECT_EQ(tv.tv_sec, 1);
  EXPECT_EQ(tv.tv_usec, 500000);
  tv = TimevalFor(absl::Seconds(-3));
  EXPECT_EQ(tv.tv_sec, 0);
  EXPECT_EQ(tv.tv_usec, 0);
}

}  // namespace
}  // namespace ebb::queue::amqp
