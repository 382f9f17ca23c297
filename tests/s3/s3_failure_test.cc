// SPDX-License-Identifier: Apache-2.0
//
// S3ObjectStore failure behaviour against the real peer: wrong credentials,
// S3 down and back, and proof that the SigV4-verifying proxy really refuses
// bad signatures (so the round-trip tests' passes mean something).
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/s3/s3_object_store.h"
#include "tests/s3/s3_fixture.h"

namespace ebb::storage {
namespace {

using ::ebb::testing::S3Peer;
using ::testing::HasSubstr;
using ::testing::Not;

class S3FailureTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(peer_.Start()); }
  std::unique_ptr<S3ObjectStore> Store(const S3Options& o) {
    auto store = S3ObjectStore::Create(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  S3Peer peer_;
};

TEST_F(S3FailureTest, ProxyRejectsRequestsSignedWithTheWrongSecret) {
  std::string out;
  EXPECT_EQ(peer_.AwsCli({"s3", "ls", "s3://images/"}, &out), 0) << out;
  out.clear();
  EXPECT_NE(peer_.AwsCli({"s3", "ls", "s3://images/"}, &out, "not-the-secret"),
            0);
  EXPECT_THAT(out, HasSubstr("SignatureDoesNotMatch"));
  // The proxy logs the canonical request it computed for the refused one.
  EXPECT_THAT(peer_.ProxyLog(), HasSubstr("canonical request"));
  // Unsigned requests are refused too, though s3rver itself would take them.
  std::string direct;
  ASSERT_EQ(::ebb::testing::RunWithEnv(
                {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 peer_.ProxyEndpoint() + "/images?list-type=2"},
                {}, &direct),
            0);
  EXPECT_EQ(direct, "403");
  direct.clear();
  ::ebb::testing::RunWithEnv(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
       peer_.DirectEndpoint() + "/images?list-type=2"},
      {}, &direct);
  EXPECT_EQ(direct, "200");
}

TEST_F(S3FailureTest, WrongSecretIsAClearPermissionErrorWithoutRetries) {
  S3Options o = peer_.Options();
  o.secret_key = "wrong-secret-4711";
  auto store = Store(o);
  ASSERT_NE(store, nullptr);
  absl::Status s = store->Put("a.png", "png", "image/png");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s.ToString();
  const std::string msg(s.message());
  EXPECT_THAT(msg, HasSubstr("s3://images at " + peer_.ProxyEndpoint() +
                             ": PUT a.png: 403 SignatureDoesNotMatch"));
  EXPECT_THAT(msg, Not(HasSubstr("wrong-secret-4711")));
  EXPECT_EQ(store->retries(), 0);  // 4xx is never retried
}

TEST_F(S3FailureTest, UnknownAccessKeyIsInvalidAccessKeyId) {
  S3Options o = peer_.Options();
  o.access_key = "nobody";
  auto store = Store(o);
  ASSERT_NE(store, nullptr);
  absl::Status s = store->Get("a.png").status();
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("s3://images at " + peer_.ProxyEndpoint() +
                        ": GET a.png: 403 InvalidAccessKeyId"));
}

TEST_F(S3FailureTest, S3DownRetriesThenUnavailableAndRecoversOnRestart) {
  auto store = Store(peer_.Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("before.json", "{}", "application/json").ok());
  peer_.StopS3rver();
  absl::Status s = store->Put("during.json", "{}", "application/json");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("503"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("after 5 attempts"));
  EXPECT_EQ(store->retries(), 4);

  ASSERT_TRUE(peer_.StartS3rver());
  ASSERT_TRUE(store->Put("during.json", "{}", "application/json").ok());
  EXPECT_EQ(*store->Get("before.json"), "{}");  // data survived the restart
}

TEST_F(S3FailureTest, PutInFlightFinishesWhenS3ComesBack) {
  S3Options o = peer_.Options();
  o.max_attempts = 200;
  o.retry_max_backoff = absl::Milliseconds(100);
  auto store = Store(o);
  ASSERT_NE(store, nullptr);
  peer_.StopS3rver();
  absl::Status result = absl::UnknownError("not run");
  std::thread put([&] { result = store->Put("x.png", "png", "image/png"); });
  // Restart only once the Put has been refused and is retrying.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->retries() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(store->retries(), 0);
  ASSERT_TRUE(peer_.StartS3rver());
  put.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(*store->Get("x.png"), "png");
}

TEST_F(S3FailureTest, ConnectionRefusedIsRetriedThenUnavailable) {
  auto store = Store(peer_.Options(/*via_proxy=*/false));
  ASSERT_NE(store, nullptr);
  peer_.StopS3rver();
  absl::Status s = store->Put("a.png", "png", "image/png");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s.ToString();
  EXPECT_THAT(
      std::string(s.message()),
      HasSubstr("s3://images at " + peer_.DirectEndpoint() + ": PUT a.png: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("after 5 attempts"));
  EXPECT_EQ(store->retries(), 4);
  ASSERT_TRUE(peer_.StartS3rver());
  EXPECT_TRUE(store->Put("a.png", "png", "image/png").ok());
}

}  // namespace
}  // namespace ebb::storage
