// SPDX-License-Identifier: Apache-2.0
//
// S3ObjectStore against a real S3 peer: s3rver behind the SigV4-verifying
// proxy (tests/s3/s3_fixture.h), so every request here is signature-checked
// by botocore. The AWS CLI reads back what ebb wrote and writes what ebb reads.
#include "storage/s3/s3_object_store.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"
#include "tests/s3/s3_fixture.h"

namespace ebb::storage {
namespace {

using ::ebb::testing::S3Peer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = new S3Peer();
    ASSERT_TRUE(peer_->Start());
  }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(peer_, nullptr);
    auto store = S3ObjectStore::Create(peer_->Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    prefix_ = ebb::testing::UniqueName("t") + "/";
  }
  void TearDown() override {
    // Every request of every test went through the verifier and passed.
    EXPECT_THAT(peer_->ProxyLog(), Not(HasSubstr("SignatureDoesNotMatch")));
  }
  std::vector<std::string> Keys(const std::string& prefix) {
    auto list = store_->List(prefix);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<std::string> keys;
    if (list.ok()) {
      for (const ObjectInfo& o : *list) keys.push_back(o.key);
    }
    return keys;
  }

  static S3Peer* peer_;
  std::unique_ptr<S3ObjectStore> store_;
  std::string prefix_;
};
S3Peer* S3ObjectStoreTest::peer_ = nullptr;

TEST_F(S3ObjectStoreTest, PutGetHeadDeleteRoundTripWithSpacesAndUnicode) {
  const std::string key = prefix_ + "a b/\xc3\xbc ber+%x=1&y.png";
  const std::string data = RandomBytes(100 * 1024, 1);
  ASSERT_TRUE(store_->Put(key, data, "image/png").ok());
  auto got = store_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  auto info = store_->Head(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, key);
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_FALSE(info->etag.empty());
  EXPECT_GT(info->modified, absl::Now() - absl::Hours(1));
  EXPECT_THAT(Keys(prefix_), ElementsAre(key));

  ASSERT_TRUE(store_->Delete(key).ok());
  absl::Status gone = store_->Get(key).status();
  EXPECT_TRUE(absl::IsNotFound(gone)) << gone.ToString();
  EXPECT_THAT(std::string(gone.message()),
              HasSubstr("s3://images at " + peer_->ProxyEndpoint()));
  EXPECT_THAT(std::string(gone.message()), HasSubstr("404 NoSuchKey"));
  EXPECT_TRUE(absl::IsNotFound(store_->Head(key).status()));
  EXPECT_TRUE(store_->Delete(key).ok());  // absent is fine
  EXPECT_TRUE(Keys(prefix_).empty());
}

TEST_F(S3ObjectStoreTest, PutSetsContentTypeAndReplaces) {
  const std::string key = prefix_ + "r.json";
  ASSERT_TRUE(
      store_->Put(key, "{\"old\":true, \"long\":1}", "application/json").ok());
  ASSERT_TRUE(store_->Put(key, "{}", "application/json").ok());
  EXPECT_EQ(*store_->Get(key), "{}");
  std::string out;
  ASSERT_EQ(
      peer_->AwsCli(
          {"s3api", "head-object", "--bucket", "images", "--key", key}, &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("\"ContentType\": \"application/json\""));
}

TEST_F(S3ObjectStoreTest, EmptyObjectIsAnObject) {
  const std::string key = prefix_ + "empty";
  ASSERT_TRUE(store_->Put(key, "", "").ok());
  auto got = store_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  EXPECT_EQ(store_->Head(key)->size, 0);
  EXPECT_THAT(Keys(prefix_), ElementsAre(key));
}

TEST_F(S3ObjectStoreTest, ListPagesThroughContinuationTokens) {
  S3Options o = peer_->Options();
  o.list_page_size = 4;
  auto paged = S3ObjectStore::Create(o);
  ASSERT_TRUE(paged.ok());
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i) {
    std::string key = prefix_ + "page/" + std::to_string(i) + " \xc3\xa9.png";
    ASSERT_TRUE((*paged)->Put(key, std::to_string(i), "image/png").ok());
    want.push_back(key);
  }
  ASSERT_TRUE((*paged)->Put(prefix_ + "other.json", "x", "").ok());
  std::sort(want.begin(), want.end());
  auto list = (*paged)->List(prefix_ + "page/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> got;
  for (const ObjectInfo& info : *list) {
    got.push_back(info.key);
    EXPECT_EQ(info.size, 1);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ((*paged)->list_requests(), 3);  // 4 + 4 + 2
}

TEST_F(S3ObjectStoreTest, MultipartObjectOf20MiB) {
  const std::string key = prefix_ + "big model.bin";
  const std::string data = RandomBytes(20 << 20, 2);
  ASSERT_TRUE(store_->Put(key, data, "application/octet-stream").ok());
  auto got = store_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data) << "20 MiB read back differs";
  auto info = store_->Head(key);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 20 << 20);
  // Sent as a multipart upload of 8 + 8 + 4 MiB parts, each one verified.
  const std::string path = "/images/" + prefix_ + "big%20model.bin";
  const std::string log = peer_->ProxyLog();
  EXPECT_THAT(log, HasSubstr("verified POST " + path + "?uploads="));
  EXPECT_THAT(log,
              HasSubstr("verified PUT " + path + "?partNumber=3&uploadId="));
  EXPECT_THAT(log, Not(HasSubstr(path + "?partNumber=4")));
  EXPECT_THAT(log, HasSubstr("verified POST " + path + "?uploadId="));
}

TEST_F(S3ObjectStoreTest, PrefixedStoreKeepsKeysUnderItsPrefix) {
  S3Options o = peer_->Options();
  o.prefix = "/" + prefix_ + "results/";
  auto store = S3ObjectStore::Create(o);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Describe(),
            "s3://images/" + prefix_ + "results at " + peer_->ProxyEndpoint());
  ASSERT_TRUE((*store)->Put("a.json", "{}", "application/json").ok());
  EXPECT_THAT(Keys(prefix_), ElementsAre(prefix_ + "results/a.json"));
  auto inner = (*store)->List("");
  ASSERT_TRUE(inner.ok());
  ASSERT_EQ(inner->size(), 1u);
  EXPECT_EQ((*inner)[0].key, "a.json");
  EXPECT_EQ(*(*store)->Get("a.json"), "{}");
}

TEST_F(S3ObjectStoreTest, AwsCliReadsBackWhatEbbWroteByteIdentical) {
  const std::string key = prefix_ + "out/\xe7\x8c\xab 1.png";
  const std::string data = RandomBytes(300 * 1024, 3);
  ASSERT_TRUE(store_->Put(key, data, "image/png").ok());
  const std::string big_key = prefix_ + "out/big.bin";
  const std::string big = RandomBytes(9 << 20, 4);  // multipart
  ASSERT_TRUE(store_->Put(big_key, big, "").ok());
  std::string out;
  ASSERT_EQ(peer_->AwsCli({"s3", "ls", "--recursive", "s3://images/" + prefix_},
                          &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(key));
  EXPECT_THAT(out, HasSubstr(big_key));
  const std::string local = peer_->dir() + "/fetched.png";
  ASSERT_EQ(peer_->AwsCli({"s3", "cp", "s3://images/" + key, local}, &out), 0)
      << out;
  EXPECT_TRUE(ReadFile(local) == data);
  ASSERT_EQ(peer_->AwsCli({"s3", "cp", "s3://images/" + big_key, local}, &out),
            0)
      << out;
  EXPECT_TRUE(ReadFile(local) == big);
}

TEST_F(S3ObjectStoreTest, EbbReadsWhatAwsCliWrote) {
  const std::string local = peer_->dir() + "/upload.bin";
  const std::string data = RandomBytes(12 << 20, 5);  // aws uses multipart too
  std::ofstream(local, std::ios::binary) << data;
  const std::string key = prefix_ + "from aws/\xc3\xa9t\xc3\xa9.bin";
  std::string out;
  ASSERT_EQ(peer_->AwsCli({"s3", "cp", local, "s3://images/" + key}, &out), 0)
      << out;
  auto got = store_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_THAT(Keys(prefix_ + "from aws/"), ElementsAre(key));
}

TEST_F(S3ObjectStoreTest, ConcurrentPutsFromEightThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string key = prefix_ + "c/" + std::to_string(t * 10 + i);
        if (!store_->Put(key, key, "text/plain").ok()) ++failures;
        auto got = store_->Get(key);
        if (!got.ok() || *got != key) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Keys(prefix_ + "c/").size(), 40u);
}

TEST_F(S3ObjectStoreTest, InvalidKeysAreRefusedBeforeAnyRequest) {
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Put("../x", "d", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Get("a//b").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Delete("/abs")));
}

}  // namespace
}  // namespace ebb::storage
