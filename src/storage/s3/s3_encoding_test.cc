// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_encoding.h"

#include "gtest/gtest.h"
#include "storage/s3/s3_client.h"

namespace ebb::storage::s3 {
namespace {

TEST(UriEncodeTest, KeepsUnreservedAndEncodesEverythingElseUppercase) {
  EXPECT_EQ(UriEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c=d&e/f"), "a%20b%2Bc%3Dd%26e%2Ff");
  EXPECT_EQ(UriEncode("\xc3\xbc"), "%C3%BC");  // ü
  EXPECT_EQ(UriEncode("*'()!$,;:@%"), "%2A%27%28%29%21%24%2C%3B%3A%40%25");
  EXPECT_EQ(UriEncode(""), "");
}

TEST(UriDecodeTest, ReversesEncodingAndKeepsPlusAndMalformedEscapes) {
  EXPECT_EQ(UriDecode("a%20b%2bc%C3%BC"), "a b+c\xc3\xbc");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(UriDecode("100%"), "100%");
  EXPECT_EQ(UriDecode("%zz%4"), "%zz%4");
}

TEST(EncodeKeyPathTest, EncodesEachSegmentAndKeepsSlashes) {
  EXPECT_EQ(EncodeKeyPath("a b/\xc3\xbc x+y.png"), "a%20b/%C3%BC%20x%2By.png");
  EXPECT_EQ(EncodeKeyPath("plain.json"), "plain.json");
  EXPECT_EQ(EncodeKeyPath("d/e/f"), "d/e/f");
}

TEST(CanonicalQueryTest, SortsByKeyEncodesValuesAndWritesEmptyValues) {
  EXPECT_EQ(CanonicalQuery({}), "");
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"prefix", "jobs/"},
                            {"max-keys", "3"},
                            {"list-type", "2"},
                            {"continuation-token", "a+b=c"}}),
            "continuation-token=a%2Bb%3Dc&list-type=2&max-keys=3&"
            "prefix=jobs%2F");
  EXPECT_EQ(CanonicalQuery({{"uploadId", "x y"}, {"partNumber", "10"}}),
            "partNumber=10&uploadId=x%20y");
}

TEST(Sha256HexTest, MatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

S3Options Opts(const std::string& endpoint, std::optional<bool> path_style) {
  S3Options o;
  o.bucket = "images";
  o.endpoint = endpoint;
  o.region = "eu-west-1";
  o.path_style = path_style;
  return o;
}

TEST(S3ClientUrlTest, PathStyleWithEndpoint) {
  S3Client c(Opts("http://127.0.0.1:4568/", std::nullopt));
  EXPECT_EQ(c.Url("r/a b.png", {}), "http://127.0.0.1:4568/images/r/a%20b.png");
  EXPECT_EQ(c.Url("", {{"list-type", "2"}, {"continuation-token", "t"}}),
            "http://127.0.0.1:4568/images?continuation-token=t&list-type=2");
}

TEST(S3ClientUrlTest, VirtualHostedForAwsByDefault) {
  S3Client c(Opts("", std::nullopt));
  EXPECT_EQ(c.Url("k.json", {{"uploads", ""}}),
            "https://images.s3.eu-west-1.amazonaws.com/k.json?uploads=");
  S3Client v(Opts("https://minio.local:9000", false));
  EXPECT_EQ(v.Url("k", {}), "https://images.minio.local:9000/k");
}

TEST(S3ClientUrlTest, DescribeNamesBucketPrefixAndEndpointWithoutSecrets) {
  S3Options o = Opts("http://127.0.0.1:4568", std::nullopt);
  o.prefix = "results";
  o.secret_key = "topsecret";
  S3Client c(o);
  EXPECT_EQ(c.Describe(), "s3://images/results at http://127.0.0.1:4568");
  HttpResponse r;
  r.status = 403;
  r.body =
      "<Error><Code>SignatureDoesNotMatch</Code><Message>key topsecret "
      "mismatched</Message></Error>";
  absl::Status s = c.ErrorFor({.what = "PUT a.png"}, r);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s.ToString();
  EXPECT_EQ(s.message(),
            "s3://images/results at http://127.0.0.1:4568: PUT a.png: 403 "
            "SignatureDoesNotMatch: key *** mismatched");
}

TEST(S3ClientErrorTest, MapsStatusCodes) {
  S3Client c(Opts("http://h:1", std::nullopt));
  auto code = [&](long status, const std::string& body) {
    HttpResponse r;
    r.status = status;
    r.body = body;
    return c.ErrorFor({.what = "GET k"}, r).code();
  };
  EXPECT_EQ(code(404, "<Error><Code>NoSuchKey</Code></Error>"),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(code(404, ""), absl::StatusCode::kNotFound);  // HEAD: no body
  EXPECT_EQ(code(400, ""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(409, ""), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(503, ""), absl::StatusCode::kUnavailable);
  EXPECT_EQ(code(429, ""), absl::StatusCode::kUnavailable);
  EXPECT_EQ(code(200, "<Error><Code>InternalError</Code></Error>"),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace ebb::storage::s3
