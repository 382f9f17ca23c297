// SPDX-License-Identifier: Apache-2.0
// API tests of GET /api/v1/images and GET /api/v1/objects/{key}
// (routes_gallery.cc).
#include <set>
#include <string>
#include <vector>

#include "http/api_test_fixture.h"
#include "worker/record.h"

namespace ebb::http::testing {
namespace {

class GalleryApiTest : public ApiTest {
 protected:
  // Stores a result as a worker does: the PNGs, then the record.
  void PutResult(const std::string& id, int images,
                 const std::string& created_at, bool done = true,
                 bool store_pngs = true) {
    worker::ResultRecord r;
    r.task.id = id;
    r.task.prompt = "prompt of " + id;
    r.task.count = images;
    r.task.width = 512;
    r.task.height = 256;
    r.seed = 40;
    r.model = "ebb-sim";
    r.done = done;
    r.error = done ? "" : "out of memory";
    r.inference_ms = 2500;
    r.queue_wait_ms = 12;
    std::string err;
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", created_at,
                                &r.created_at, &err))
        << err;
    for (int n = 1; done && n <= images; ++n) {
      r.images.push_back(worker::ImageKey(id, n));
      if (store_pngs) {
        ASSERT_TRUE(
            store_.Put(worker::ImageKey(id, n), "\x89PNG-" + id, "image/png")
                .ok());
      }
    }
    ASSERT_TRUE(store_
                    .Put(worker::RecordKey(id), worker::RecordJson(r),
                         "application/json")
                    .ok());
  }
};

TEST_F(GalleryApiTest, PagesNewestFirstWithCursorOverThreePages) {
  StartServer();
  PutResult("aaa", 2, "2026-01-01T00:00:01.000Z");
  PutResult("bbb", 1, "2026-01-01T00:00:02.000Z");
  PutResult("ccc", 3, "2026-01-01T00:00:03.000Z");
  PutResult("ddd", 1, "2026-01-01T00:00:04.000Z");

  std::vector<std::string> urls;
  std::string next;
  int pages = 0;
  for (;;) {
    httplib::Params params = {{"limit", "3"}};
    if (!next.empty())
      params.emplace("before", next);  // the client URL-encodes it
    auto r = Client()->Get("/api/v1/images", params, Bearer());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = Body(r);
    ++pages;
    for (const auto& img : j["images"]) urls.push_back(img["url"]);
    if (j["next"].is_null()) break;
    EXPECT_EQ(j["images"].size(), 3u);
    next = j["next"].get<std::string>();
    ASSERT_LE(pages, 5);
  }
  EXPECT_EQ(pages, 3);
  const std::vector<std::string> expected = {
      "/api/v1/objects/ddd-1.png", "/api/v1/objects/ccc-1.png",
      "/api/v1/objects/ccc-2.png", "/api/v1/objects/ccc-3.png",
      "/api/v1/objects/bbb-1.png", "/api/v1/objects/aaa-1.png",
      "/api/v1/objects/aaa-2.png"};
  EXPECT_EQ(urls, expected);
}

TEST_F(GalleryApiTest, EntryCarriesTheRecordFieldsPerImage) {
  StartServer();
  PutResult("abc", 2, "2026-02-03T04:05:06.789Z");
  auto r = GetAuthed("/api/v1/images");
  ASSERT_TRUE(r);
  auto images = Body(r)["images"];
  ASSERT_EQ(images.size(), 2u);
  const auto& second = images[1];
  EXPECT_EQ(second["url"], "/api/v1/objects/abc-2.png");
  EXPECT_EQ(second["id"], "abc");
  EXPECT_EQ(second["index"], 2);
  EXPECT_EQ(second["prompt"], "prompt of abc");
  EXPECT_EQ(second["model"], "ebb-sim");
  EXPECT_EQ(second["width"], 512);
  EXPECT_EQ(second["height"], 256);
  EXPECT_EQ(second["seed"], 41) << "image n uses seed + n - 1";
  EXPECT_EQ(second["created_at"], "2026-02-03T04:05:06.789Z");
  EXPECT_EQ(second["timings"]["inference_ms"], 2500);
  EXPECT_EQ(second["timings"]["queue_wait_ms"], 12);
  EXPECT_TRUE(Body(r)["next"].is_null());
}

TEST_F(GalleryApiTest, SkipsFailedRecordsAndRecordsWithMissingImages) {
  StartServer();
  PutResult("good", 1, "2026-01-01T00:00:01.000Z");
  PutResult("failed", 1, "2026-01-01T00:00:02.000Z", /*done=*/false);
  PutResult("partial", 2, "2026-01-01T00:00:03.000Z", true,
            /*store_pngs=*/false);
  ASSERT_TRUE(
      store_.Put("partial-1.png", "png", "image/png").ok());  // -2 missing
  ASSERT_TRUE(
      store_.Put("notes.json", "not a record", "application/json").ok());
  auto r = GetAuthed("/api/v1/images");
  ASSERT_TRUE(r);
  auto images = Body(r)["images"];
  ASSERT_EQ(images.size(), 1u) << r->body;
  EXPECT_EQ(images[0]["id"], "good");

  // Once the missing PNG arrives the record shows.
  ASSERT_TRUE(store_.Put("partial-2.png", "png", "image/png").ok());
  EXPECT_EQ(Body(GetAuthed("/api/v1/images"))["images"].size(), 3u);
}

TEST_F(GalleryApiTest, UnchangedRecordsAreReadOnceAndChangedOnesAgain) {
  StartServer();
  PutResult("one", 1, "2026-01-01T00:00:01.000Z");
  PutResult("two", 1, "2026-01-01T00:00:02.000Z");
  ASSERT_EQ(GetAuthed("/api/v1/images")->status, 200);
  const int after_first = store_.gets();
  EXPECT_EQ(after_first, 2);
  ASSERT_EQ(GetAuthed("/api/v1/images")->status, 200);
  EXPECT_EQ(store_.gets(), after_first);

  PutResult("two", 1, "2026-01-01T00:00:09.000Z");  // rewritten record
  auto r = GetAuthed("/api/v1/images");
  EXPECT_EQ(store_.gets(), after_first + 1);
  EXPECT_EQ(Body(r)["images"][0]["created_at"], "2026-01-01T00:00:09.000Z");
}

TEST_F(GalleryApiTest, BadLimitOrCursorIs400) {
  StartServer();
  auto limit = GetAuthed("/api/v1/images?limit=lots");
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->status, 400);
  EXPECT_EQ(Body(limit)["field"], "limit");
  auto cursor = GetAuthed("/api/v1/images?before=garbage");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->status, 400);
  EXPECT_EQ(Body(cursor)["field"], "before");
}

TEST_F(GalleryApiTest, WithoutAStoreImagesAndObjectsAre503) {
  StartServer({.with_store = false});
  EXPECT_EQ(GetAuthed("/api/v1/images")->status, 503);
  EXPECT_EQ(GetAuthed("/api/v1/objects/a.png")->status, 503);
}

TEST_F(GalleryApiTest, ObjectsAreServedWithContentTypeByExtension) {
  StartServer();
  ASSERT_TRUE(store_.Put("x-1.png", "\x89PNG", "image/png").ok());
  ASSERT_TRUE(store_.Put("x.json", "{}", "application/json").ok());
  ASSERT_TRUE(store_.Put("sub dir/notes.txt", "hello", "text/plain").ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/objects/x-1.png", "image/png"},
      {"/api/v1/objects/x.json", "application/json"},
      {"/api/v1/objects/sub%20dir/notes.txt", "application/octet-stream"}};
  for (const auto& [path, type] : cases) {
    auto r = GetAuthed(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), type) << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "private, max-age=60")
        << path;
  }
  EXPECT_EQ(GetAuthed("/api/v1/objects/x-1.png")->body, "\x89PNG");
  EXPECT_EQ(GetAuthed("/api/v1/objects/sub%20dir/notes.txt")->body, "hello");
}

TEST_F(GalleryApiTest, MissingObjectIs404) {
  StartServer();
  auto r = GetAuthed("/api/v1/objects/nope.png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(Body(r).contains("error"));
}

TEST_F(GalleryApiTest, TraversalAndAbsoluteKeysAre400) {
  StartServer();
  for (const std::string path :
       {"/api/v1/objects/../token", "/api/v1/objects/a/../../token",
        "/api/v1/objects/%2e%2e/token", "/api/v1/objects//etc/passwd"}) {
    auto r = GetAuthed(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
  }
}

}  // namespace
}  // namespace ebb::http::testing
