// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/files.h"
#include "gtest/gtest.h"

namespace ebb {
namespace {

namespace fs = std::filesystem;

class FilesUnderRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::TempDir() + "/ebb_under_root_" +
            std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(base_);
    root_ = base_ + "/root";
    ASSERT_TRUE(MakeDirs(root_ + "/sub").ok());
    ASSERT_TRUE(WriteFileAtomic(root_ + "/sub/a.txt", "0123456789").ok());
    ASSERT_TRUE(WriteFileAtomic(base_ + "/secret", "top secret").ok());
  }
  void TearDown() override { fs::remove_all(base_); }

  std::string base_, root_;
};

TEST_F(FilesUnderRootTest, ReadsAFileBelowTheRoot) {
  EXPECT_EQ(*ReadFileUnderRoot(root_, "sub/a.txt"), "0123456789");
}

TEST_F(FilesUnderRootTest, ReadsOnlyTheTailWhenAsked) {
  EXPECT_EQ(*ReadFileUnderRoot(root_, "sub/a.txt", 3), "789");
  EXPECT_EQ(*ReadFileUnderRoot(root_, "sub/a.txt", 0), "");
  EXPECT_EQ(*ReadFileUnderRoot(root_, "sub/a.txt", 100), "0123456789");
}

TEST_F(FilesUnderRootTest, RefusesPathsThatClimbOut) {
  for (const std::string& bad : std::vector<std::string>{
           "../secret", "sub/../../secret", "/etc/passwd", "", "sub//a.txt",
           "./sub/a.txt", "sub\\a.txt", std::string("sub/a\0", 6)}) {
    EXPECT_EQ(ReadFileUnderRoot(root_, bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(FilesUnderRootTest, MissingFilesAndDirectoriesAreNotFound) {
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub/none.txt").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub/a.txt/x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFileUnderRoot(base_ + "/none", "a").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FilesUnderRootTest, RefusesAFileLinkOutOfTheRoot) {
  fs::create_symlink(base_ + "/secret", root_ + "/sub/link.txt");
  absl::StatusOr<std::string> got = ReadFileUnderRoot(root_, "sub/link.txt");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(got.status().message()).find("top secret"),
            std::string::npos);
}

TEST_F(FilesUnderRootTest, RefusesADirectoryLinkOutOfTheRoot) {
  fs::create_symlink(base_, root_ + "/up");
  EXPECT_EQ(ReadFileUnderRoot(root_, "up/secret").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FilesUnderRootTest, RefusesARelativeLinkThatClimbsOut) {
  fs::create_symlink("../../secret", root_ + "/sub/rel.txt");
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub/rel.txt").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FilesUnderRootTest, FollowsALinkThatStaysInside) {
  fs::create_symlink("a.txt", root_ + "/sub/alias.txt");
  EXPECT_EQ(*ReadFileUnderRoot(root_, "sub/alias.txt"), "0123456789");
}

TEST_F(FilesUnderRootTest, ARootThatIsItselfALinkWorks) {
  fs::create_symlink(root_, base_ + "/root-link");
  EXPECT_EQ(*ReadFileUnderRoot(base_ + "/root-link", "sub/a.txt"),
            "0123456789");
}

TEST_F(FilesUnderRootTest, ADanglingLinkIsNotFound) {
  fs::create_symlink(root_ + "/gone", root_ + "/sub/dangling");
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub/dangling").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FilesUnderRootTest, AFifoIsNotAFileAndDoesNotBlock) {
  ASSERT_EQ(::mkfifo((root_ + "/sub/fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReadFileUnderRoot(root_, "sub/fifo").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(PlainRelativePathTest, AcceptsPlainSegmentsOnly) {
  EXPECT_TRUE(IsPlainRelativePath("a"));
  EXPECT_TRUE(IsPlainRelativePath("a/b.png"));
  EXPECT_TRUE(IsPlainRelativePath("..a/b.."));
  EXPECT_FALSE(IsPlainRelativePath("a/../b"));
  EXPECT_FALSE(IsPlainRelativePath("/a"));
  EXPECT_FALSE(IsPlainRelativePath("a/"));
}

}  // namespace
}  // namespace ebb
