// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/requests[/{id}] (http/routes_requests.cc) over a real
// EmbeddedQueue and an in-memory object store. Kept here, beside the queue
// routes' client test, so src/http's CMakeLists stays the lead's.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "http/api_context.h"
#include "queue/embedded/embedded_queue.h"
#include "storage/testing/in_memory_object_store.h"
#include "tests/harness/harness.h"

namespace ebb::http {
namespace {

using queue::embedded::EmbeddedQueue;

class RequestRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    queue::embedded::EmbeddedQueueOptions o;
    o.path = testing::MakeTempDir("rq") + "/queue.db";
    eq_ = std::move(*EmbeddedQueue::Open(o));
    ctx_.embedded_queue = eq_.get();
    ctx_.store = &store_;
    ctx_.token = "tok";
    RegisterRequestRoutes(server_, ctx_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  // GET `path`; returns the status and parses the body into *out.
  int Get(const std::string& path, nlohmann::json* out,
          const std::string& token = "tok") {
    httplib::Client c("127.0.0.1", port_);
    c.set_bearer_token_auth(token);
    auto res = c.Get(path.c_str());
    if (!res) return -1;
    *out = nlohmann::json::parse(res->body, nullptr, false);
    return res->status;
  }

  void Publish(const std::string& id) {
    queue::OutgoingMessage m;
    m.body =
        "{\"prompt\":\"fox " + id + "\",\"count\":2,\"id\":\"" + id + "\"}";
    ASSERT_TRUE(eq_->Publish("tasks", m).ok());
  }

  void PutRecord(const std::string& id, const std::string& status) {
    nlohmann::json r = {{"id", id},
                        {"prompt", "fox " + id},
                        {"number_of_images", 2},
                        {"status", status},
                        {"error", status == "failed" ? "model exploded" : ""},
                        {"attempt", 3},
                        {"queue_wait_ms", 12},
                        {"model_load_ms", 800},
                        {"inference_ms", 2500},
                        {"upload_ms", 3},
                        {"created_at", "2026-11-29T22:00:00.000Z"},
                        {"images", {id + "-1.png", id + "-2.png"}}};
    if (status == "failed") r["images"] = nlohmann::json::array();
    ASSERT_TRUE(store_.Put(id + ".json", r.dump(), "application/json").ok());
  }

  std::unique_ptr<EmbeddedQueue> eq_;
  storage::InMemoryObjectStore store_;
  ApiContext ctx_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(RequestRoutesTest, StatusFollowsTheQueueAndTheRecord) {
  nlohmann::json j;
  EXPECT_EQ(Get("/api/v1/requests/r1", &j), 404);
  Publish("r1");
  ASSERT_EQ(Get("/api/v1/requests/r1", &j), 200);
  EXPECT_EQ(j["status"], "queued");
  EXPECT_EQ(j["prompt"], "fox r1");
  EXPECT_EQ(j["count"], 2);
  EXPECT_TRUE(j["record"].is_null());
  auto d = eq_->Take("tasks", absl::ZeroDuration());
  ASSERT_TRUE(d.ok() && d->has_value());
  ASSERT_EQ(Get("/api/v1/requests/r1", &j), 200);
  EXPECT_EQ(j["status"], "running");
  PutRecord("r1", "done");
  ASSERT_TRUE(eq_->Ack(**d).ok());
  ASSERT_EQ(Get("/api/v1/requests/r1", &j), 200);
  EXPECT_EQ(j["status"], "done");
  EXPECT_EQ(j["attempt"], 3);
  EXPECT_EQ(j["timings"]["inference_ms"], 2500);
  EXPECT_EQ(j["images"][1], "/api/v1/objects/r1-2.png");
  EXPECT_EQ(j["record"], "/api/v1/objects/r1.json");
  EXPECT_TRUE(j["error"].is_null());
}

TEST_F(RequestRoutesTest, AckedButRecordFailedIsFailed) {
  Publish("r2");
  auto d = eq_->Take("tasks", absl::ZeroDuration());
  PutRecord("r2", "failed");
  ASSERT_TRUE(eq_->Ack(**d).ok());
  nlohmann::json j;
  ASSERT_EQ(Get("/api/v1/requests/r2", &j), 200);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error"], "model exploded");
}

TEST_F(RequestRoutesTest, ListFiltersByStatusNewestFirst) {
  Publish("a");
  Publish("b");
  Publish("c");
  auto d = eq_->Take("tasks", absl::ZeroDuration());  // a
  PutRecord("a", "failed");
  ASSERT_TRUE(eq_->Ack(**d).ok());
  nlohmann::json j;
  ASSERT_EQ(Get("/api/v1/requests", &j), 200);
  ASSERT_EQ(j["requests"].size(), 3u);
  EXPECT_EQ(j["requests"][0]["id"], "c");
  ASSERT_EQ(Get("/api/v1/requests?status=queued&limit=1", &j), 200);
  ASSERT_EQ(j["requests"].size(), 1u);
  EXPECT_EQ(j["requests"][0]["id"], "c");
  ASSERT_EQ(Get("/api/v1/requests?status=failed", &j), 200);
  ASSERT_EQ(j["requests"].size(), 1u);
  EXPECT_EQ(j["requests"][0]["id"], "a");
  ASSERT_EQ(Get("/api/v1/requests?status=done", &j), 200);
  EXPECT_EQ(j["requests"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/requests?status=bogus", &j), 400);
  EXPECT_EQ(j["field"], "status");
  EXPECT_EQ(Get("/api/v1/requests", &j, "wrong"), 401);
}

TEST_F(RequestRoutesTest, WithoutTheQueueTheRecordDecides) {
  ctx_.embedded_queue = nullptr;
  PutRecord("old", "done");
  nlohmann::json j;
  ASSERT_EQ(Get("/api/v1/requests/old", &j), 200);
  EXPECT_EQ(j["status"], "done");
  EXPECT_EQ(j["created_at"], "2026-11-29T22:00:00.000Z");
  EXPECT_EQ(Get("/api/v1/requests/none", &j), 404);
  ASSERT_EQ(Get("/api/v1/requests?status=done", &j), 200);
  EXPECT_EQ(j["requests"].size(), 1u);
}

}  // namespace
}  // namespace ebb::http
