// SPDX-License-Identifier: Apache-2.0
// Requests API (docs/api.md "Requests", "Cancel and delete"): everyone's
// requests listed server-side with filters, progress of a running one, the
// wait estimate of a queued one, cancel, delete with its tombstone, and the
// download name of an image.
#include <set>

#include "http/api_test_fixture.h"
#include "http/request_view.h"
#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"
#include "worker/control.h"

namespace ebb::http::testing {
namespace {

class ApiRequestsTest : public ApiTest {
 protected:
  void PutRecord(const std::string& id, const std::string& status,
                 const std::string& prompt, int images = 1,
                 int64_t inference_ms = 1000) {
    nlohmann::json r = {{"id", id},
                        {"status", status},
                        {"prompt", prompt},
                        {"seed", 42},
                        {"number_of_images", images},
                        {"model_load_ms", 0},
                        {"inference_ms", inference_ms},
                        {"upload_ms", 0},
                        {"attempt", 1},
                        {"error", status == "failed" ? nlohmann::json("boom")
                                                     : nlohmann::json()},
                        {"created_at", "2026-01-01T00:00:00.000Z"},
                        {"images", nlohmann::json::array()}};
    for (int n = 1; status == "done" && n <= images; ++n) {
      const std::string key = id + "-" + std::to_string(n) + ".png";
      ASSERT_TRUE(store_.Put(key, "png", "image/png").ok());
      r["images"].push_back(key);
    }
    ASSERT_TRUE(store_.Put(id + ".json", r.dump(), "application/json").ok());
  }
  void PutProgress(const std::string& id, int step, int steps) {
    worker::Progress p;
    p.id = id;
    p.step = step;
    p.steps = steps;
    p.worker = "w1";
    p.updated_at = absl::Now();
    ASSERT_TRUE(store_
                    .Put(worker::ProgressKey(id), worker::ProgressJson(p),
                         "application/json")
                    .ok());
  }
  httplib::Result DeleteAuthed(const std::string& path) {
    return Client()->Delete(path, Bearer());
  }
  // The events published so far of `type`.
  std::vector<nlohmann::json> Events(const std::string& type) {
    std::vector<nlohmann::json> out;
    for (const Event& e : hub_.WaitAfter(0, absl::ZeroDuration())) {
      if (e.type == type) out.push_back(e.data);
    }
    return out;
  }
  std::set<std::string> Ids(const std::string& query) {
    auto r = GetAuthed("/api/v1/requests" + query);
    EXPECT_EQ(r->status, 200) << r->body;
    std::set<std::string> ids;
    const nlohmann::json body = Body(r);
    for (const auto& q : body["requests"]) ids.insert(q["id"]);
    return ids;
  }
};

TEST_F(ApiRequestsTest, RunningRequestShowsTheWorkersProgress) {
  StartServer();
  PutProgress("r1", 3, 8);
  auto r = GetAuthed("/api/v1/requests/r1");
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Body(r);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["progress"]["step"], 3);
  EXPECT_EQ(j["progress"]["steps"], 8);
  EXPECT_EQ(j["worker"], "w1");
  EXPECT_TRUE(j["progress"]["updated_at"].is_string());
}

TEST_F(ApiRequestsTest, CancelOfARunningRequestRecordsTheMarkerAndAnEvent) {
  StartServer();
  PutProgress("r1", 1, 8);
  auto r = PostAuthed("/api/v1/requests/r1/cancel", "");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r), (nlohmann::json{{"id", "r1"}, {"status", "cancelled"}}));
  EXPECT_TRUE(store_.Head(worker::CancelKey("r1")).ok());
  EXPECT_EQ(Body(GetAuthed("/api/v1/requests/r1"))["status"], "cancelled");
  auto events = Events("request");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["status"], "cancelled");
  // Idempotent.
  EXPECT_EQ(PostAuthed("/api/v1/requests/r1/cancel", "")->status, 200);
}

TEST_F(ApiRequestsTest, CancelOfAFinishedRequestIsAConflict) {
  StartServer();
  PutRecord("d1", "done", "a fox");
  PutRecord("f1", "failed", "a fox");
  for (const char* id : {"d1", "f1"}) {
    auto r = PostAuthed(std::string("/api/v1/requests/") + id + "/cancel", "");
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_NE(Body(r)["error"].get<std::string>().find("only a queued or "
                                                       "running"),
              std::string::npos);
  }
  EXPECT_FALSE(store_.Head(worker::CancelKey("d1")).ok());
}

TEST_F(ApiRequestsTest, CancelAndDeleteNeedTheToken) {
  StartServer();
  PutRecord("d1", "done", "a fox");
  EXPECT_EQ(
      Client()->Post("/api/v1/requests/d1/cancel", "", "text/plain")->status,
      401);
  EXPECT_EQ(Client()->Delete("/api/v1/requests/d1")->status, 401);
  EXPECT_TRUE(store_.Head("d1.json").ok());
}

TEST_F(ApiRequestsTest, DeleteRemovesImagesAndRecordAndLeavesATombstone) {
  StartServer();
  PutRecord("r1", "done", "a fox", 2);
  PutRecord("r1-b", "done", "another", 1);  // "r1-b-1.png" is not r1's
  auto r = DeleteAuthed("/api/v1/requests/r1");
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Body(r);
  EXPECT_EQ(j["status"], "deleted");
  std::set<std::string> removed(j["removed"].begin(), j["removed"].end());
  EXPECT_EQ(removed,
            (std::set<std::string>{"r1.json", "r1-1.png", "r1-2.png"}));
  EXPECT_FALSE(store_.Head("r1-1.png").ok());
  EXPECT_FALSE(store_.Head("r1.json").ok());
  EXPECT_TRUE(store_.Head("r1-b-1.png").ok());
  EXPECT_TRUE(store_.Head(worker::TombstoneKey("r1")).ok());
  auto got = GetAuthed("/api/v1/requests/r1");
  ASSERT_EQ(got->status, 200);
  EXPECT_EQ(Body(got)["status"], "deleted");
  EXPECT_TRUE(Body(got)["images"].empty());
  auto deleted = Events("deleted");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0], (nlohmann::json{{"id", "r1"}}));
  EXPECT_EQ(GetAuthed("/api/v1/objects/r1-1.png")->status, 404);
  // A deleted request cannot be cancelled; deleting again is fine.
  EXPECT_EQ(PostAuthed("/api/v1/requests/r1/cancel", "")->status, 409);
  EXPECT_EQ(DeleteAuthed("/api/v1/requests/r1")->status, 200);
}

// RabbitMQ mode: a request `ebb up` published is known from its
// <id>.submitted object before any worker reports it, until its record
// supersedes it; DELETE removes the marker too.
TEST_F(ApiRequestsTest, SubmittedMarkerMakesAQueuedRequestKnownUntilItsRecord) {
  StartServer();
  auto body = worker::SubmittedJson(
      R"({"id":"q1","prompt":"a heron at dawn","count":2,"seed":7})",
      absl::Now());
  ASSERT_TRUE(body.has_value());
  ASSERT_TRUE(
      store_.Put(worker::SubmittedKey("q1"), *body, "application/json").ok());
  auto r = GetAuthed("/api/v1/requests/q1");
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Body(r);
  EXPECT_EQ(j["status"], "queued");
  EXPECT_EQ(j["prompt"], "a heron at dawn");
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["count"], 2);
  EXPECT_TRUE(j.contains("estimate"));
  EXPECT_EQ(Ids("?status=queued"), (std::set<std::string>{"q1"}));
  EXPECT_EQ(Ids("?q=heron"), (std::set<std::string>{"q1"}));

  PutRecord("q1", "done", "a heron at dawn", 2);
  EXPECT_EQ(Body(GetAuthed("/api/v1/requests/q1"))["status"], "done");
  EXPECT_EQ(Ids("?status=queued"), std::set<std::string>{});

  auto del = DeleteAuthed("/api/v1/requests/q1");
  ASSERT_EQ(del->status, 200) << del->body;
  EXPECT_FALSE(store_.Head(worker::SubmittedKey("q1")).ok());
  // Not JSON: no such request is made up.
  ASSERT_TRUE(
      store_.Put(worker::SubmittedKey("q2"), "nonsense", "text/plain").ok());
  EXPECT_EQ(GetAuthed("/api/v1/requests/q2")->status, 404);
  EXPECT_FALSE(worker::SubmittedJson("[1]", absl::Now()).has_value());
}

TEST_F(ApiRequestsTest, ListFiltersByStatusAndTextAndHidesDeleted) {
  StartServer();
  PutRecord("a", "done", "A red Fox");
  PutRecord("b", "failed", "a fox in snow");
  PutRecord("c", "done", "a lighthouse");
  PutRecord("d", "done", "a fox, deleted");
  PutProgress("e", 2, 4);
  ASSERT_EQ(DeleteAuthed("/api/v1/requests/d")->status, 200);
  ASSERT_EQ(PostAuthed("/api/v1/requests/e/cancel", "")->status, 200);
  EXPECT_EQ(Ids(""), (std::set<std::string>{"a", "b", "c", "e"}));
  EXPECT_EQ(Ids("?status=done"), (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(Ids("?q=FOX"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(Ids("?status=done,failed&q=fox"),
            (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(Ids("?status=deleted"), (std::set<std::string>{"d"}));
  EXPECT_EQ(Ids("?status=cancelled"), (std::set<std::string>{"e"}));
  auto bad = GetAuthed("/api/v1/requests?status=gone");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["field"], "status");
}

// Listing again reads only records that changed: a record is parsed once per
// modification time (on S3 each read is a GET).
TEST(RecordCacheTest, ReadsARecordAgainOnlyWhenItChanged) {
  class CountingStore : public storage::InMemoryObjectStore {
   public:
    absl::StatusOr<std::string> Get(const std::string& key) override {
      ++gets;
      return InMemoryObjectStore::Get(key);
    }
    int gets = 0;
  } store;
  ASSERT_TRUE(store.Put("a.json", R"({"status":"done"})", "").ok());
  RecordCache cache(2);
  const absl::Time t1 = absl::FromUnixSeconds(1), t2 = absl::FromUnixSeconds(2);
  EXPECT_EQ((*cache.Get(&store, "a", t1))["status"], "done");
  EXPECT_EQ((*cache.Get(&store, "a", t1))["status"], "done");
  EXPECT_EQ(store.gets, 1);
  ASSERT_TRUE(store.Put("a.json", R"({"status":"failed"})", "").ok());
  EXPECT_EQ((*cache.Get(&store, "a", t2))["status"], "failed");
  EXPECT_EQ(store.gets, 2);
  // Bounded: the least recently used goes.
  EXPECT_FALSE(cache.Get(&store, "b", t1).has_value());
  EXPECT_FALSE(cache.Get(&store, "c", t1).has_value());
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(ApiRequestsTest, ListPagesWithTheCursorVisitEachRequestOnce) {
  StartServer();
  for (int i = 0; i < 7; ++i) PutRecord("p" + std::to_string(i), "done", "x");
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string path = "/api/v1/requests?limit=3";
    if (!cursor.empty()) path += "&before=" + cursor;
    const nlohmann::json j = Body(GetAuthed(path));
    for (const auto& r : j["requests"]) seen.push_back(r["id"]);
    if (j["next"].is_null()) break;
    cursor = j["next"];
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
}

TEST_F(ApiRequestsTest, QueuedRequestHasAPositionAndAWaitEstimate) {
  const std::string dir = ::ebb::testing::MakeTempDir("api-eq");
  queue::embedded::EmbeddedQueueOptions qo;
  qo.path = dir + "/queue.db";
  auto q = queue::embedded::EmbeddedQueue::Open(qo);
  ASSERT_TRUE(q.ok()) << q.status();
  for (const char* id : {"q1", "q2", "q3"}) {
    queue::OutgoingMessage m;
    m.body = nlohmann::json{{"id", id}, {"prompt", "p"}}.dump();
    m.message_id = id;
    ASSERT_TRUE((*q)->Publish("tasks", m).ok());
  }
  // Two done requests of 1 s and 3 s: 2 s per request, one worker.
  PutRecord("old1", "done", "x", 1, 1000);
  PutRecord("old2", "done", "x", 1, 3000);
  HarnessOptions o;
  o.embedded_queue = q->get();
  StartServer(o);
  auto j = Body(GetAuthed("/api/v1/requests/q3"));
  ASSERT_EQ(j["status"], "queued") << j.dump();
  EXPECT_EQ(j["estimate"]["position"], 3);
  EXPECT_EQ(j["estimate"]["workers"], 1);
  EXPECT_DOUBLE_EQ(j["estimate"]["wait_s"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["estimate"]["run_s"].get<double>(), 2.0);
  EXPECT_NE(j["estimate"]["basis"].get<std::string>().find("2 request(s) "
                                                           "ahead"),
            std::string::npos);
  EXPECT_EQ(Body(GetAuthed("/api/v1/requests/q1"))["estimate"]["wait_s"], 0.0);
  // Cancel of a queued one: cancelled at once; the worker that takes it
  // drops it.
  ASSERT_EQ(PostAuthed("/api/v1/requests/q2/cancel", "")->status, 200);
  EXPECT_EQ(Body(GetAuthed("/api/v1/requests/q2"))["status"], "cancelled");
  EXPECT_EQ(PostAuthed("/api/v1/requests/nosuch/cancel", "")->status, 404);
  EXPECT_EQ(DeleteAuthed("/api/v1/requests/nosuch")->status, 404);
  server_->Stop();
}

TEST_F(ApiRequestsTest, DownloadNamesTheFileAfterPromptSeedAndId) {
  StartServer();
  PutRecord("3f2b9c1d-aaaa", "done", "A lighthouse at dusk!", 2);
  auto r =
      Client()->Get("/api/v1/objects/3f2b9c1d-aaaa-2.png?download=1", Bearer());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Disposition"),
            "attachment; filename=\"a-lighthouse-at-dusk-43-3f2b9c1d-2.png\"");
  auto plain = GetAuthed("/api/v1/objects/3f2b9c1d-aaaa-2.png");
  EXPECT_FALSE(plain->has_header("Content-Disposition"));
}

}  // namespace
}  // namespace ebb::http::testing
