// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include "common/clock.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/secrets.h"
#include "common/status.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace ebb {
namespace {

TEST(SecretsTest, MasksPasswordInAmqpUrl) {
  EXPECT_EQ(MaskUrlCredentials("amqp://guest:s3cret@127.0.0.1:5672/vh"),
            "amqp://guest:***@127.0.0.1:5672/vh");
}

TEST(SecretsTest, MasksEveryUrlInText) {
  EXPECT_EQ(MaskUrlCredentials(
                "dial amqp://u:p@h/ then http://a:b@c:15672/api failed"),
            "dial amqp://u:***@h/ then http://a:***@c:15672/api failed");
}

TEST(SecretsTest, LeavesUrlWithoutCredentials) {
  EXPECT_EQ(MaskUrlCredentials("http://h:1/x?q=1"), "http://h:1/x?q=1");
}

TEST(SecretsTest, MasksTokenOnlyUserinfo) {
  EXPECT_EQ(MaskUrlCredentials("https://tok@h/"), "https://***@h/");
}

TEST(SecretsTest, MasksKnownSecretValuesAndTheirEncodings) {
  EXPECT_EQ(MaskSecrets("pw p@ss/1 or p%40ss%2F1", {"p@ss/1"}),
            "pw *** or ***");
}

TEST(StringsTest, NearestMatchFindsTypo) {
  EXPECT_EQ(NearestMatch("excludeUnackowledged",
                         {"excludeUnacknowledged", "queueName"}),
            "excludeUnacknowledged");
  EXPECT_EQ(NearestMatch("pollinginterval", {"pollingInterval"}),
            "pollingInterval");
  EXPECT_EQ(NearestMatch("zzz", {"pollingInterval"}), std::nullopt);
}

TEST(StatusTest, AnnotateKeepsCode) {
  absl::Status s = Annotate(absl::UnavailableError("down"), "while polling");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "while polling: down");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  EBB_ASSIGN_OR_RETURN(int h, Half(x));
  EBB_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
}

TEST(IdsTest, UuidShapeAndUniqueness) {
  std::string a = NewUuid(), b = NewUuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, b);
}

TEST(FilesTest, AtomicWriteThenRead) {
  std::string dir = testing::TempDir() + "/ebb_files_test/a/b";
  std::string path = dir + "/x.json";
  ASSERT_TRUE(WriteFileAtomic(path, "{}").ok());
  EXPECT_EQ(*ReadFile(path), "{}");
  ASSERT_TRUE(WriteFileAtomic(path, "{\"a\":1}").ok());
  EXPECT_EQ(*ReadFile(path), "{\"a\":1}");
  EXPECT_EQ(ReadFile(dir + "/missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ClockTest, FakeClockAdvances) {
  FakeClock c;
  absl::Time t0 = c.Now();
  c.Advance(absl::Seconds(5));
  EXPECT_EQ(c.Now() - t0, absl::Seconds(5));
}

}  // namespace
}  // namespace ebb
