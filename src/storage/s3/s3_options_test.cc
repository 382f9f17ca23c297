// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_options.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/object_store.h"

namespace ebb::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvGetter FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

TEST(S3OptionsFromUriTest, ReadsBucketPrefixAndStandardEnvironment) {
  absl::StatusOr<S3Options> o =
      S3OptionsFromUri("s3://images/results/run%201",
                       FakeEnv({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"},
                                {"AWS_DEFAULT_REGION", "eu-west-1"},
                                {"AWS_ACCESS_KEY_ID", "minio"},
                                {"AWS_SECRET_ACCESS_KEY", "minio123"}}));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "images");
  EXPECT_EQ(o->prefix, "results/run 1");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_EQ(o->access_key, "minio");
  EXPECT_EQ(o->secret_key, "minio123");
  EXPECT_FALSE(o->path_style.has_value());
  EXPECT_FALSE(o->insecure_skip_verify);
}

TEST(S3OptionsFromUriTest, AwsRegionWinsOverDefaultRegion) {
  auto o = S3OptionsFromUri(
      "s3://images",
      FakeEnv({{"AWS_REGION", "a-1"}, {"AWS_DEFAULT_REGION", "b-2"}}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->region, "a-1");
  EXPECT_EQ(o->prefix, "");
  EXPECT_EQ(S3OptionsFromUri("s3://images", FakeEnv({}))->region, "us-east-1");
}

TEST(S3OptionsFromUriTest, QueryParametersOverrideTheEnvironment) {
  auto o = S3OptionsFromUri(
      "s3://images/r?endpoint=http%3A%2F%2F127.0.0.1%3A4568&region=us-west-2&"
      "path_style=false&ca_bundle=/etc/ca.pem&insecure_skip_verify=true",
      FakeEnv({{"AWS_ENDPOINT_URL", "http://other:1"}}));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:4568");
  EXPECT_EQ(o->region, "us-west-2");
  EXPECT_EQ(o->path_style, false);
  EXPECT_EQ(o->ca_bundle, "/etc/ca.pem");
  EXPECT_TRUE(o->insecure_skip_verify);
  auto plain = S3OptionsFromUri(
      "s3://images?endpoint=http://127.0.0.1:4568&region=us-east-1",
      FakeEnv({}));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->endpoint, "http://127.0.0.1:4568");
}

TEST(S3OptionsFromUriTest, RejectsBadUrisWithoutEchoingSecrets) {
  auto env = FakeEnv({});
  EXPECT_FALSE(S3OptionsFromUri("s3://", env).ok());
  EXPECT_FALSE(S3OptionsFromUri("file:///x", env).ok());
  EXPECT_FALSE(S3OptionsFromUri("s3://Bad_Bucket!", env).ok());
  EXPECT_FALSE(S3OptionsFromUri("s3://images?colour=red", env).ok());
  EXPECT_FALSE(S3OptionsFromUri("s3://images?path_style=maybe", env).ok());
  EXPECT_FALSE(S3OptionsFromUri("s3://images?endpoint=ftp://h", env).ok());
  EXPECT_FALSE(
      S3OptionsFromUri("s3://images?endpoint=http://h/path", env).ok());
  absl::Status s = S3OptionsFromUri("s3://user:hunter2@images", env).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("hunter2")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("AWS_SECRET_ACCESS_KEY"));
}

TEST(ValidateS3OptionsTest, ChecksSizesAndAttempts) {
  S3Options o;
  o.bucket = "images";
  EXPECT_TRUE(ValidateS3Options(o).ok());
  o.part_size = 1024;
  EXPECT_FALSE(ValidateS3Options(o).ok());
  o.part_size = 5 << 20;
  o.max_attempts = 0;
  EXPECT_FALSE(ValidateS3Options(o).ok());
  o.max_attempts = 1;
  o.list_page_size = 0;
  EXPECT_FALSE(ValidateS3Options(o).ok());
}

TEST(OpenObjectStoreTest, SelectsS3ForS3Uris) {
  auto store = OpenObjectStore(
      "s3://images/r?endpoint=http://127.0.0.1:1&region=us-east-1");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "s3://images/r at http://127.0.0.1:1");
  absl::Status bad = OpenObjectStore("gs://x").status();
  EXPECT_THAT(std::string(bad.message()), HasSubstr("s3://bucket/prefix"));
}

}  // namespace
}  // namespace ebb::storage
