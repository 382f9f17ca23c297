// SPDX-License-Identifier: Apache-2.0
// One mirror pass at a time: what is copied, skipped, excluded, removed, and in
// which order.
#include "storage/mirror/mirror.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/object_store.h"
#include "storage/testing/in_memory_object_store.h"

namespace ebb::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void PutOrDie(ObjectStore& s, const std::string& key, const std::string& data) {
  ASSERT_TRUE(s.Put(key, data, "").ok()) << key;
}

std::vector<std::string> Keys(ObjectStore& s) {
  std::vector<std::string> keys;
  auto list = s.List("");
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (list.ok()) {
    for (const ObjectInfo& i : *list) keys.push_back(i.key);
  }
  return keys;
}

std::vector<std::string> ActionKeys(const MirrorStats& s) {
  std::vector<std::string> keys;
  for (const MirrorAction& a : s.actions) keys.push_back(a.key);
  return keys;
}

MirrorStats PassOrDie(ObjectStore& src, ObjectStore& dst,
                      const MirrorOptions& o = {}) {
  absl::StatusOr<MirrorStats> s = Mirror(src, dst, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : MirrorStats{};
}

TEST(MatchesPatternTest, MatchesWholeKeyOrBasename) {
  EXPECT_TRUE(MatchesPattern("working", "working"));
  EXPECT_TRUE(MatchesPattern("working", "sub/dir/working"));
  EXPECT_TRUE(MatchesPattern("*.tmp", "a.tmp"));
  EXPECT_TRUE(MatchesPattern("*.tmp", "sub/a.tmp"));
  EXPECT_TRUE(MatchesPattern("sub/*", "sub/a.png"));
  EXPECT_TRUE(MatchesPattern("a-?.png", "a-1.png"));
  EXPECT_FALSE(MatchesPattern("working", "working.png"));
  EXPECT_FALSE(MatchesPattern("working", "not-working"));
  EXPECT_FALSE(MatchesPattern("*.json", "a.json.tmp"));
}

TEST(ContentTypeForKeyTest, ByExtension) {
  EXPECT_EQ(ContentTypeForKey("a-0.png"), "image/png");
  EXPECT_EQ(ContentTypeForKey("dir/A.JSON"), "application/json");
  EXPECT_EQ(ContentTypeForKey("working"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForKey("v1.2/readme"), "application/octet-stream");
}

TEST(MirrorTest, CopiesNewObjectsThenSkipsUnchangedOnes) {
  InMemoryObjectStore src, dst;
  PutOrDie(src, "a-0.png", "png bytes");
  PutOrDie(src, "a.json", "{}");
  MirrorStats first = PassOrDie(src, dst);
  EXPECT_EQ(first.copied, 2);
  EXPECT_EQ(first.skipped, 0);
  EXPECT_EQ(first.bytes, 11);
  EXPECT_THAT(Keys(dst), ElementsAre("a-0.png", "a.json"));
  EXPECT_EQ(*dst.Get("a-0.png"), "png bytes");
  EXPECT_EQ(dst.ContentType("a-0.png"), "image/png");
  EXPECT_EQ(dst.ContentType("a.json"), "application/json");
  EXPECT_EQ(first.actions[0].reason, "new");

  MirrorStats second = PassOrDie(src, dst);
  EXPECT_EQ(second.copied, 0);
  EXPECT_EQ(second.skipped, 2);
  EXPECT_THAT(second.actions, IsEmpty());
  EXPECT_EQ(dst.PutLog().size(), 2u);  // nothing rewritten
}

TEST(MirrorTest, RecordsAreCopiedAfterEveryImage) {
  InMemoryObjectStore src, dst;
  for (const char* k : {"b.json", "a-0.png", "a.json", "a-1.png", "b-0.png",
                        "c-0.png", "c.json"}) {
    PutOrDie(src, k, k);
  }
  PassOrDie(src, dst);
  // Sorted keys would put a.json before b-0.png; the records come last.
  EXPECT_THAT(dst.PutLog(),
              ElementsAre("a-0.png", "a-1.png", "b-0.png", "c-0.png", "a.json",
                          "b.json", "c.json"));
}

TEST(MirrorTest, FailedImageCopyEndsThePassBeforeAnyRecord) {
  InMemoryObjectStore src, base;
  FlakyObjectStore dst(base);
  PutOrDie(src, "a-0.png", "0");
  PutOrDie(src, "a-1.png", "1");
  PutOrDie(src, "a.json", "{}");
  dst.FailPutsContaining("a-1.png");
  absl::StatusOr<MirrorStats> s = Mirror(src, dst, {});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsUnavailable(s.status()));
  EXPECT_THAT(s.status().message(), HasSubstr("flaky+memory://"));
  EXPECT_THAT(s.status().message(), HasSubstr("a-1.png"));
  EXPECT_THAT(base.Keys(), ElementsAre("a-0.png"));  // no record without images

  dst.FailPutsContaining("");
  MirrorStats retry = PassOrDie(src, dst);
  EXPECT_EQ(retry.copied, 2);
  EXPECT_EQ(retry.skipped, 1);
  EXPECT_THAT(base.Keys(), ElementsAre("a-0.png", "a-1.png", "a.json"));
}

TEST(MirrorTest, ChangedObjectsAreCopiedBySizeOrEtag) {
  InMemoryObjectStore src, dst;
  PutOrDie(src, "a-0.png", "aaaa");
  PutOrDie(src, "b-0.png", "bbbb");
  PassOrDie(src, dst);
  PutOrDie(src, "a-0.png", "aaaaaaaa");  // size differs
  PutOrDie(src, "b-0.png", "BBBB");      // same size, other content
  MirrorStats s = PassOrDie(src, dst);
  ASSERT_EQ(s.copied, 2);
  EXPECT_EQ(s.actions[0].reason, "size");
  EXPECT_EQ(s.actions[1].reason, "etag");
  EXPECT_EQ(*dst.Get("b-0.png"), "BBBB");
}

TEST(MirrorTest, SameEtagIsUnchangedEvenWhenSourceIsNewer) {
  FakeClock old_clock, new_clock;
  new_clock.Advance(absl::Hours(1));
  InMemoryObjectStore src(&new_clock), dst(&old_clock);
  PutOrDie(src, "a-0.png", "same");
  PutOrDie(dst, "a-0.png", "same");
  MirrorStats s = PassOrDie(src, dst);
  EXPECT_EQ(s.copied, 0);
  EXPECT_EQ(s.skipped, 1);
}

TEST(MirrorTest, ExcludedKeysAreNeverCopiedNorRemoved) {
  InMemoryObjectStore src, dst;
  PutOrDie(src, "working", "");
  PutOrDie(src, "sub/working", "");
  PutOrDie(src, "a-0.png.tmp", "partial");
  PutOrDie(src, "a-0.png", "png");
  PutOrDie(dst, "old.tmp", "kept: excluded");
  MirrorOptions o;
  o.exclude = {"working", "*.tmp"};
  o.remove = true;
  MirrorStats s = PassOrDie(src, dst, o);
  EXPECT_EQ(s.copied, 1);
  EXPECT_EQ(s.excluded, 3);
  EXPECT_EQ(s.removed, 0);
  EXPECT_THAT(Keys(dst), ElementsAre("a-0.png", "old.tmp"));
}

TEST(MirrorTest, RemoveDeletesWhatTheSourceLostRecordsFirst) {
  InMemoryObjectStore src, dst;
  for (const char* k : {"a-0.png", "a.json", "b-0.png", "b.json"}) {
    PutOrDie(src, k, k);
  }
  PassOrDie(src, dst);
  ASSERT_TRUE(src.Delete("a-0.png").ok());
  ASSERT_TRUE(src.Delete("a.json").ok());

  MirrorStats kept = PassOrDie(src, dst);  // without --remove: kept
  EXPECT_EQ(kept.removed, 0);
  EXPECT_EQ(Keys(dst).size(), 4u);

  MirrorOptions o;
  o.remove = true;
  MirrorStats s = PassOrDie(src, dst, o);
  EXPECT_EQ(s.removed, 2);
  EXPECT_THAT(ActionKeys(s), ElementsAre("a.json", "a-0.png"));
  EXPECT_EQ(s.actions[0].kind, MirrorAction::Kind::kRemove);
  EXPECT_THAT(Keys(dst), ElementsAre("b-0.png", "b.json"));
}

TEST(MirrorTest, OnceWhenCopiesNothingUntilEachPatternMatches) {
  InMemoryObjectStore src, dst;
  MirrorOptions o;
  o.once_when = {"*.png", "*.json"};
  PutOrDie(src, "working", "");
  MirrorStats s1 = PassOrDie(src, dst, o);
  EXPECT_THAT(s1.waiting_for, ElementsAre("*.png", "*.json"));
  EXPECT_FALSE(s1.ready());

  PutOrDie(src, "a-0.png", "png");
  MirrorStats s2 = PassOrDie(src, dst, o);
  EXPECT_THAT(s2.waiting_for, ElementsAre("*.json"));
  EXPECT_EQ(s2.copied, 0);
  EXPECT_THAT(Keys(dst), IsEmpty());

  PutOrDie(src, "a.json", "{}");
  MirrorStats s3 = PassOrDie(src, dst, o);
  EXPECT_TRUE(s3.ready());
  EXPECT_EQ(s3.copied, 3);  // `working` too: it is not excluded here
  EXPECT_THAT(dst.PutLog().back(), "a.json");
}

TEST(MirrorTest, DryRunReportsAndChangesNothing) {
  InMemoryObjectStore src, dst;
  PutOrDie(src, "a-0.png", "png");
  PutOrDie(dst, "gone.png", "x");
  MirrorOptions o;
  o.dry_run = true;
  o.remove = true;
  MirrorStats s = PassOrDie(src, dst, o);
  EXPECT_EQ(s.copied, 1);
  EXPECT_EQ(s.bytes, 3);
  EXPECT_EQ(s.removed, 1);
  EXPECT_THAT(ActionKeys(s), ElementsAre("a-0.png", "gone.png"));
  EXPECT_THAT(Keys(dst), ElementsAre("gone.png"));
  EXPECT_THAT(dst.PutLog(), ElementsAre("gone.png"));  // the setup's Put only
}

TEST(MirrorTest, PrefixLimitsBothSides) {
  InMemoryObjectStore src, dst;
  PutOrDie(src, "run1/a-0.png", "a");
  PutOrDie(src, "run2/b-0.png", "b");
  PutOrDie(dst, "other/keep.png", "k");
  MirrorOptions o;
  o.prefix = "run1/";
  o.remove = true;
  MirrorStats s = PassOrDie(src, dst, o);
  EXPECT_EQ(s.copied, 1);
  EXPECT_EQ(s.removed, 0);
  EXPECT_THAT(Keys(dst), ElementsAre("other/keep.png", "run1/a-0.png"));
}

// The seed's results directory: a `working` marker and results that keep
// coming, mirrored between two filesystem stores (List gives no etags there,
// so size and modified time decide).
class FilesystemMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebb-mirror-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = OpenObjectStore(dir_ + "/images");
    auto d = OpenObjectStore(dir_ + "/bucket");
    ASSERT_TRUE(s.ok() && d.ok());
    src_ = std::move(*s);
    dst_ = std::move(*d);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Writes the way the seed's worker does: straight into the directory.
  void WriteFile(const std::string& name, const std::string& data) {
    std::ofstream(dir_ + "/images/" + name, std::ios::binary) << data;
  }

  // Sets the source file's time to the mirrored copy's plus `later`.
  void Touch(const std::string& name, absl::Duration later) {
    fs::last_write_time(dir_ + "/images/" + name,
                        fs::last_write_time(dir_ + "/bucket/" + name) +
                            absl::ToChronoNanoseconds(later));
  }

  std::string dir_;
  std::unique_ptr<ObjectStore> src_, dst_;
};

TEST_F(FilesystemMirrorTest, GrowingResultsCopyOnlyWhatChanged) {
  MirrorOptions o;
  o.exclude = {"working"};
  WriteFile("working", "");
  WriteFile("r1-0.png", "png one");
  WriteFile("r1.json", "{\"id\":\"r1\"}");

  MirrorStats p1 = PassOrDie(*src_, *dst_, o);
  EXPECT_EQ(p1.copied, 2);
  EXPECT_EQ(p1.excluded, 1);
  EXPECT_THAT(Keys(*dst_), ElementsAre("r1-0.png", "r1.json"));

  WriteFile("r2-0.png", "png two");
  WriteFile("r2-1.png", "png two b");
  WriteFile("r2.json", "{\"id\":\"r2\"}");
  MirrorStats p2 = PassOrDie(*src_, *dst_, o);
  EXPECT_THAT(ActionKeys(p2), ElementsAre("r2-0.png", "r2-1.png", "r2.json"));
  EXPECT_EQ(p2.skipped, 2);

  MirrorStats p3 = PassOrDie(*src_, *dst_, o);
  EXPECT_EQ(p3.copied, 0);
  EXPECT_EQ(p3.skipped, 5);

  // Touched, content unchanged: newer by time, but Head's etags agree.
  Touch("r1.json", absl::Seconds(2));
  MirrorStats touched = PassOrDie(*src_, *dst_, o);
  EXPECT_EQ(touched.copied, 0);
  EXPECT_EQ(touched.skipped, 5);

  // Rewritten with the same size: the newer modified time decides. (File times
  // move in clock ticks, so "later" is made explicit.)
  WriteFile("r1-0.png", "PNG ONE");
  Touch("r1-0.png", absl::Seconds(2));
  MirrorStats p4 = PassOrDie(*src_, *dst_, o);
  ASSERT_THAT(ActionKeys(p4), ElementsAre("r1-0.png"));
  EXPECT_EQ(p4.actions[0].reason, "newer");
  EXPECT_EQ(*dst_->Get("r1-0.png"), "PNG ONE");
  EXPECT_FALSE(fs::exists(dir_ + "/bucket/working"));
}

TEST_F(FilesystemMirrorTest, BothDirectionsWithAnInMemoryStore) {
  InMemoryObjectStore bucket;  // real clock: comparable with file times
  WriteFile("a-0.png", "png");
  WriteFile("a.json", "{}");
  EXPECT_EQ(PassOrDie(*src_, bucket).copied, 2);
  EXPECT_EQ(PassOrDie(*src_, bucket).copied, 0);
  EXPECT_THAT(bucket.PutLog(), ElementsAre("a-0.png", "a.json"));

  // Pull back into an empty directory (the web UI's sidecar).
  EXPECT_EQ(PassOrDie(bucket, *dst_).copied, 2);
  EXPECT_EQ(PassOrDie(bucket, *dst_).copied, 0);
  EXPECT_EQ(*dst_->Get("a.json"), "{}");
}

}  // namespace
}  // namespace ebb::storage
