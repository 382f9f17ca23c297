// SPDX-License-Identifier: Apache-2.0
#include "storage/testing/in_memory_object_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::storage {
namespace {

using ::testing::ElementsAre;

TEST(InMemoryObjectStoreTest, BehavesLikeAStore) {
  FakeClock clock;
  InMemoryObjectStore store(&clock);
  ASSERT_TRUE(store.Put("b", "2", "text/plain").ok());
  ASSERT_TRUE(store.Put("a/x", "1", "image/png").ok());
  EXPECT_EQ(*store.Get("b"), "2");
  EXPECT_TRUE(absl::IsNotFound(store.Get("c").status()));
  EXPECT_EQ(store.Head("a/x")->etag, ContentEtag("1"));
  EXPECT_EQ(store.Head("a/x")->modified, clock.Now());
  EXPECT_EQ(store.ContentType("a/x"), "image/png");
  auto list = store.List("");
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "a/x");
  EXPECT_EQ(store.List("a/")->size(), 1u);
  EXPECT_TRUE(store.Delete("b").ok());
  EXPECT_TRUE(store.Delete("b").ok());
  EXPECT_THAT(store.Keys(), ElementsAre("a/x"));
  EXPECT_TRUE(absl::IsInvalidArgument(store.Put("../x", "", "")));
}

TEST(InMemoryObjectStoreTest, RecordsPutOrder) {
  InMemoryObjectStore store;
  ASSERT_TRUE(store.Put("id-1.png", "", "").ok());
  ASSERT_TRUE(store.Put("id.json", "", "").ok());
  ASSERT_TRUE(store.Put("id-1.png", "", "").ok());
  EXPECT_THAT(store.PutLog(), ElementsAre("id-1.png", "id.json", "id-1.png"));
}

TEST(FlakyObjectStoreTest, FailsTheNextPutsThenForwards) {
  InMemoryObjectStore base;
  FlakyObjectStore flaky(base);
  flaky.FailNextPuts(2);
  EXPECT_TRUE(absl::IsUnavailable(flaky.Put("k", "1", "")));
  EXPECT_TRUE(absl::IsUnavailable(flaky.Put("k", "2", "")));
  EXPECT_TRUE(base.Keys().empty());
  EXPECT_TRUE(flaky.Put("k", "3", "").ok());
  EXPECT_EQ(*flaky.Get("k"), "3");
  EXPECT_EQ(flaky.injected_failures(), 2);
}

TEST(FlakyObjectStoreTest, FailsPutsContainingAFragment) {
  InMemoryObjectStore base;
  FlakyObjectStore flaky(base);
  flaky.FailPutsContaining(".json", absl::InternalError("disk full"));
  EXPECT_TRUE(flaky.Put("a.png", "", "").ok());
  EXPECT_EQ(flaky.Put("a.json", "", "").message(), "disk full");
  flaky.FailPutsContaining("");
  EXPECT_TRUE(flaky.Put("a.json", "", "").ok());
}

}  // namespace
}  // namespace ebb::storage
