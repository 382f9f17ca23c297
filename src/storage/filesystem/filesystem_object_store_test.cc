// SPDX-License-Identifier: Apache-2.0
#include "storage/filesystem/filesystem_object_store.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/object_store.h"

namespace ebb::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FilesystemObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebb-fs-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = FilesystemObjectStore::Open(dir_ + "/results");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> ListKeys(const std::string& prefix) {
    auto list = store_->List(prefix);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> keys;
    if (list.ok()) {
      for (const ObjectInfo& o : *list) keys.push_back(o.key);
    }
    return keys;
  }

  std::string dir_;
  std::unique_ptr<FilesystemObjectStore> store_;
};

TEST_F(FilesystemObjectStoreTest, PutThenGetReturnsTheBytes) {
  const std::string data("png\0bytes\xff", 10);
  ASSERT_TRUE(store_->Put("a-1.png", data, "image/png").ok());
  auto got = store_->Get("a-1.png");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, data);
}

TEST_F(FilesystemObjectStoreTest, PutReplacesTheOldObject) {
  ASSERT_TRUE(store_->Put("k.json", "old, longer content", "").ok());
  ASSERT_TRUE(store_->Put("k.json", "new", "").ok());
  EXPECT_EQ(*store_->Get("k.json"), "new");
}

TEST_F(FilesystemObjectStoreTest, EmptyObjectIsAnObject) {
  ASSERT_TRUE(store_->Put("empty", "", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  EXPECT_EQ(store_->Head("empty")->size, 0);
}

TEST_F(FilesystemObjectStoreTest, MissingObjectIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(store_->Get("nope").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->Head("nope").status()));
}

TEST_F(FilesystemObjectStoreTest, HeadReportsSizeAndContentHashEtag) {
  ASSERT_TRUE(store_->Put("x.png", "hello", "image/png").ok());
  auto info = store_->Head("x.png");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key, "x.png");
  EXPECT_EQ(info->size, 5);
  EXPECT_EQ(info->etag, ContentEtag("hello"));
  EXPECT_EQ(info->etag.size(), 16u);
  EXPECT_NE(info->modified, absl::InfinitePast());
  ASSERT_TRUE(store_->Put("x.png", "hellp", "image/png").ok());
  EXPECT_NE(store_->Head("x.png")->etag, info->etag);
}

TEST_F(FilesystemObjectStoreTest, KeysWithSpacesUnicodeAndSubdirsWork) {
  const std::vector<std::string> keys = {"a b.png", "sub/dir/x.json",
                                         "日本語/猫 1.png", "trailing space "};
  for (const auto& k : keys) {
    ASSERT_TRUE(store_->Put(k, k, "").ok()) << k;
  }
  for (const auto& k : keys) EXPECT_EQ(*store_->Get(k), k);
  EXPECT_TRUE(fs::exists(dir_ + "/results/sub/dir/x.json"));
}

TEST_F(FilesystemObjectStoreTest, ListIsSortedFilteredByPrefixAndRecursive) {
  for (const char* k :
       {"b.json", "a-2.png", "a-1.png", "sub/z", "sub/a", "subway", "c/d/e"}) {
    ASSERT_TRUE(store_->Put(k, "x", "").ok());
  }
  EXPECT_THAT(ListKeys(""), ElementsAre("a-1.png", "a-2.png", "b.json", "c/d/e",
                                        "sub/a", "sub/z", "subway"));
  EXPECT_THAT(ListKeys("a-"), ElementsAre("a-1.png", "a-2.png"));
  EXPECT_THAT(ListKeys("sub"), ElementsAre("sub/a", "sub/z", "subway"));
  EXPECT_THAT(ListKeys("sub/"), ElementsAre("sub/a", "sub/z"));
  EXPECT_THAT(ListKeys("c/d"), ElementsAre("c/d/e"));
  EXPECT_THAT(ListKeys("zzz"), ElementsAre());
  auto list = store_->List("b.json");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size, 1);
}

TEST_F(FilesystemObjectStoreTest, TempFilesAreNeverListed) {
  ASSERT_TRUE(store_->Put("sub/real", "x", "").ok());
  // What a crash between create and rename leaves behind.
  std::ofstream(dir_ + "/results/.ebb-tmp-1-2-abc") << "partial";
  std::ofstream(dir_ + "/results/sub/.ebb-tmp-9-9-xyz") << "partial";
  EXPECT_THAT(ListKeys(""), ElementsAre("sub/real"));
}

TEST_F(FilesystemObjectStoreTest, OpenRemovesStaleTempFilesOfKilledWriters) {
  ASSERT_TRUE(store_->Put("sub/real", "x", "").ok());
  const std::string root = dir_ + "/results";
  // Left by writers killed between create and rename: two an hour ago, one
  // of a Put that may still be running.
  for (const char* name :
       {"/.ebb-tmp-1-2-abc", "/sub/.ebb-tmp-9-9-xyz", "/.ebb-tmp-3-3-new"}) {
    std::ofstream(root + name) << "partial";
  }
  const auto hour_ago =
      fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(root + "/.ebb-tmp-1-2-abc", hour_ago);
  fs::last_write_time(root + "/sub/.ebb-tmp-9-9-xyz", hour_ago);
  auto reopened = FilesystemObjectStore::Open(root);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_FALSE(fs::exists(root + "/.ebb-tmp-1-2-abc"));
  EXPECT_FALSE(fs::exists(root + "/sub/.ebb-tmp-9-9-xyz"));
  EXPECT_TRUE(fs::exists(root + "/.ebb-tmp-3-3-new")) << "may be in use";
  EXPECT_TRUE(fs::exists(root + "/sub/real"));
  EXPECT_EQ((*reopened)->RemoveStaleTempFiles(absl::ZeroDuration()), 1);
  EXPECT_FALSE(fs::exists(root + "/.ebb-tmp-3-3-new"));
  EXPECT_THAT(ListKeys(""), ElementsAre("sub/real"));
}

TEST_F(FilesystemObjectStoreTest, PutLeavesNoTempFiles) {
  ASSERT_TRUE(store_->Put("d/k", "x", "").ok());
  int entries = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/results")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2);  // d/ and d/k
}

TEST_F(FilesystemObjectStoreTest, InvalidKeysAreRejectedWithAReason) {
  const std::vector<std::string> bad = {
      "",          "/abs",       "a/../b",
      "..",        "a/..",       "./a",
      "a//b",      "dir/",       std::string("a\0b", 3),
      "new\nline", ".ebb-tmp-x", std::string(1025, 'k')};
  for (const auto& k : bad) {
    absl::Status s = store_->Put(k, "x", "");
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << "key " << k << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("invalid object key"));
    EXPECT_TRUE(absl::IsInvalidArgument(store_->Get(k).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(store_->Delete(k)));
  }
  EXPECT_TRUE(ValidateObjectKey("..hidden..dots").ok());
  EXPECT_TRUE(ValidateObjectKey(".hidden").ok());
  EXPECT_THAT(ListKeys(""), ElementsAre());
}

TEST_F(FilesystemObjectStoreTest, DeleteRemovesAndIsOkWhenAbsent) {
  ASSERT_TRUE(store_->Put("gone", "x", "").ok());
  EXPECT_TRUE(store_->Delete("gone").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Get("gone").status()));
  EXPECT_TRUE(store_->Delete("gone").ok());
  EXPECT_TRUE(store_->Delete("never/was").ok());
}

TEST_F(FilesystemObjectStoreTest, KeyThatIsADirectoryIsNotAnObject) {
  ASSERT_TRUE(store_->Put("a/b", "x", "").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Get("a").status()));
  absl::Status s = store_->Put("a", "y", "");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*store_->Get("a/b"), "x");
  EXPECT_TRUE(store_->Delete("a").ok());
  EXPECT_EQ(*store_->Get("a/b"), "x");
}

TEST_F(FilesystemObjectStoreTest, ConcurrentPutsOfOneKeyLeaveOneWholeValue) {
  std::vector<std::string> values;
  for (int i = 0; i < 4; ++i) values.push_back(std::string(50000, 'a' + i));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < 10; ++r) {
        EXPECT_TRUE(store_->Put("shared/k", values[i], "").ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto got = store_->Get("shared/k");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(values, ::testing::Contains(*got));
  EXPECT_THAT(ListKeys(""), ElementsAre("shared/k"));
}

TEST_F(FilesystemObjectStoreTest, DescribeIsAFileUri) {
  EXPECT_EQ(store_->Describe(), "file://" + dir_ + "/results");
}

TEST_F(FilesystemObjectStoreTest, OpenObjectStoreAcceptsPathsAndFileUris) {
  auto a = OpenObjectStore("file://" + dir_ + "/via-uri");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->Put("k", "v", "").ok());
  EXPECT_TRUE(fs::exists(dir_ + "/via-uri/k"));
  auto b = OpenObjectStore(dir_ + "/via-path/");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->Describe(), "file://" + dir_ + "/via-path");
}

TEST_F(FilesystemObjectStoreTest, OpenObjectStoreRejectsUnknownSchemes) {
  auto s = OpenObjectStore("gs://bucket/x");
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_THAT(s.status().message(), HasSubstr("unknown scheme \"gs\""));
  EXPECT_THAT(s.status().message(), HasSubstr("file://"));
  EXPECT_TRUE(absl::IsInvalidArgument(OpenObjectStore("").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(OpenObjectStore("file://host/x").status()));
}

TEST_F(FilesystemObjectStoreTest, OpenFailsWhenRootIsAFile) {
  std::ofstream(dir_ + "/plain") << "x";
  EXPECT_FALSE(FilesystemObjectStore::Open(dir_ + "/plain").ok());
}

}  // namespace
}  // namespace ebb::storage

namespace ebb::storage {
namespace {

class FilesystemObjectStoreLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebb-fs-links-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/token") << "secret-token";
    auto store = FilesystemObjectStore::Open(dir_ + "/results");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::unique_ptr<FilesystemObjectStore> store_;
};

TEST_F(FilesystemObjectStoreLinkTest, GetRefusesALinkOutOfTheStore) {
  std::filesystem::create_symlink(dir_ + "/token", dir_ + "/results/x.json");
  auto got = store_->Get("x.json");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Head("x.json").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FilesystemObjectStoreLinkTest, GetRefusesADirectoryLinkOutOfTheStore) {
  std::filesystem::create_symlink(dir_, dir_ + "/results/up");
  EXPECT_EQ(store_->Get("up/token").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FilesystemObjectStoreLinkTest, KeysThatClimbOutAreInvalid) {
  for (const std::string key : {"../token", "a/../../token", "/etc/passwd"}) {
    EXPECT_EQ(store_->Get(key).status().code(),
              absl::StatusCode::kInvalidArgument)
        << key;
  }
}

}  // namespace
}  // namespace ebb::storage
