// SPDX-License-Identifier: Apache-2.0
#include "storage/s3/s3_xml.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ebb::storage::s3 {
namespace {

constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>images</Name><Prefix>r/</Prefix><KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
  <!-- a comment with <Key>not-a-key</Key> -->
  <Contents><Key>r/a &amp; b &#x00FC;.png</Key>
    <LastModified>2024-05-01T12:00:00.250Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key><![CDATA[r/<raw>]]></Key><Size>0</Size>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>
    <LastModified>2024-05-01T12:00:01Z</LastModified></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(ParseListObjectsV2Test, ReadsContentsTruncationAndToken) {
  absl::StatusOr<ListPage> page = ParseListObjectsV2(kPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "r/a & b \xc3\xbc.png");
  EXPECT_EQ(page->objects[0].size, 1234);
  EXPECT_EQ(page->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page->objects[0].modified, absl::FromUnixMillis(1714564800250));
  EXPECT_EQ(page->objects[1].key, "r/<raw>");
  EXPECT_EQ(page->objects[1].size, 0);
  EXPECT_EQ(page->objects[1].modified, absl::FromUnixSeconds(1714564801));
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token,
            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ParseListObjectsV2Test, EmptyBucketHasNoObjects) {
  absl::StatusOr<ListPage> page = ParseListObjectsV2(
      "<ListBucketResult><Name>images</Name><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->is_truncated);
}

TEST(ParseListObjectsV2Test, RejectsMalformedResponses) {
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>X</Code></Error>").ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size>"
                                  "</Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key>"
                                  "<Size>-3</Size></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><IsTruncated>true"
                                  "</IsTruncated></ListBucketResult>")
                   .ok());
}

TEST(XmlTest, ElementsMatchWholeNamesIgnorePrefixesAndHandleSelfClosing) {
  constexpr char kXml[] =
      "<a><KeyCount>3</KeyCount><s3:Key attr=\"1\">k1</s3:Key><Key/>"
      "<Key>k3</Key></a>";
  std::vector<std::string_view> keys = XmlElements(kXml, "Key");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], "k1");
  EXPECT_EQ(keys[1], "");
  EXPECT_EQ(keys[2], "k3");
  EXPECT_EQ(XmlText(kXml, "KeyCount"), "3");
  EXPECT_EQ(XmlText(kXml, "Missing"), std::nullopt);
  EXPECT_TRUE(XmlElements("<Key>unterminated", "Key").empty());
}

TEST(XmlTest, UnescapeDecodesEntitiesAndKeepsUnknownOnes) {
  EXPECT_EQ(XmlUnescape("&lt;&gt;&amp;&quot;&apos;&#65;&#x20AC;"),
            "<>&\"'A\xe2\x82\xac");
  EXPECT_EQ(XmlUnescape("a & b &bogus; &#xZZ;"), "a & b &bogus; &#xZZ;");
}

TEST(ParseS3ErrorTest, ReadsCodeAndMessage) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The "
      "specified key does not exist.</Message><Key>a</Key></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The specified key does not exist.");
  EXPECT_EQ(ParseS3Error("<ListBucketResult/>").code, "");
  EXPECT_EQ(ParseS3Error("").code, "");
}

}  // namespace
}  // namespace ebb::storage::s3
