// SPDX-License-Identifier: Apache-2.0
// API tests of the dead-letter routes (routes_dead_letters.cc).
#include <string>

#include "http/api_test_fixture.h"
#include "queue/dead_letters.h"

namespace ebb::http::testing {
namespace {

class DeadLettersApiTest : public ApiTest {
 protected:
  // Dead-letters a message taken from "tasks", as a worker does.
  void DeadLetter(const std::string& id, const std::string& reason) {
    queue::OutgoingMessage m;
    m.body = R"({"prompt": "x", "id": ")" + id + "\"}";
    m.message_id = id;
    m.headers[queue::kHeaderAttempt] = "5";
    ASSERT_TRUE(broker_.Publish("tasks", m).ok());
    auto d = broker_.Take("tasks", absl::Seconds(1));
    ASSERT_TRUE(d.ok() && d->has_value());
    ASSERT_TRUE(queue::DeadLetter(broker_, **d, "tasks.dead", reason).ok());
  }
};

TEST_F(DeadLettersApiTest, MissingDeadQueueListsNothing) {
  StartServer();
  auto r = GetAuthed("/api/v1/dead-letters");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r),
            nlohmann::json({{"deadLetters", nlohmann::json::array()}}));
}

TEST_F(DeadLettersApiTest, ListShowsEachDeadLetterWithReasonAndQueue) {
  StartServer();
  DeadLetter("r1", "backoffLimit 4 exhausted: CUDA out of memory");
  DeadLetter("r2", "invalid task: count 9");
  auto r = GetAuthed("/api/v1/dead-letters");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto list = Body(r)["deadLetters"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], "r1");
  EXPECT_EQ(list[0]["reason"], "backoffLimit 4 exhausted: CUDA out of memory");
  EXPECT_EQ(list[0]["queue"], "tasks");
  EXPECT_EQ(list[0]["attempt"], 5);
  EXPECT_EQ(list[0]["body"], R"({"prompt": "x", "id": "r1"})");
  EXPECT_EQ(list[1]["id"], "r2");
  EXPECT_EQ(broker_.ReadyCount("tasks.dead"), 2)
      << "listing leaves them in place";
}

TEST_F(DeadLettersApiTest, ReplayMovesTheMessageBackToItsQueue) {
  StartServer();
  DeadLetter("r1", "boom");
  DeadLetter("r2", "boom");
  auto r = PostAuthed("/api/v1/dead-letters/r2/replay", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), nlohmann::json({{"replayed", 1}}));
  EXPECT_EQ(broker_.ReadyCount("tasks"), 1);
  EXPECT_EQ(broker_.ReadyCount("tasks.dead"), 1);
  auto ready = broker_.ReadyMessages("tasks");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].message_id, "r2");
}

TEST_F(DeadLettersApiTest, ReplayOfUnknownIdIs404) {
  StartServer();
  DeadLetter("r1", "boom");
  auto r = PostAuthed("/api/v1/dead-letters/nope/replay", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(broker_.ReadyCount("tasks.dead"), 1);
  auto empty = PostAuthed("/api/v1/dead-letters/nope/replay", "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 404);
}

TEST_F(DeadLettersApiTest, ReplayAuthenticatedByCookieNeedsCsrfHeader) {
  StartServer();
  DeadLetter("r1", "boom");
  httplib::Headers h = {{"Cookie", std::string("ebb_token=") + kToken}};
  auto no_csrf = Client()->Post("/api/v1/dead-letters/r1/replay", h, "",
                                "application/json");
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 401);
  h.emplace("X-Ebb-Csrf", "1");
  auto ok = Client()->Post("/api/v1/dead-letters/r1/replay", h, "",
                           "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(DeadLettersApiTest, BrokerDownIs503) {
  StartServer();
  broker_.SetUnavailable(true);
  EXPECT_EQ(GetAuthed("/api/v1/dead-letters")->status, 503);
  EXPECT_EQ(PostAuthed("/api/v1/dead-letters/r1/replay", "")->status, 503);
}

TEST_F(DeadLettersApiTest, WithoutAQueueOpenerIs503) {
  StartServer({.with_queue = false});
  EXPECT_EQ(GetAuthed("/api/v1/dead-letters")->status, 503);
}

TEST_F(DeadLettersApiTest, DiscardRemovesOneForGood) {
  StartServer();
  DeadLetter("r1", "boom");
  DeadLetter("r2", "boom");
  auto r = PostAuthed("/api/v1/dead-letters/r1/discard", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), nlohmann::json({{"discarded", 1}}));
  EXPECT_EQ(broker_.ReadyCount("tasks"), 0) << "discarded, not replayed";
  auto list = Body(GetAuthed("/api/v1/dead-letters"))["deadLetters"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], "r2");
  EXPECT_EQ(PostAuthed("/api/v1/dead-letters/r1/discard", "{}")->status, 404);
}

TEST_F(DeadLettersApiTest, PurgeRemovesAllAndNeedsTheToken) {
  StartServer();
  DeadLetter("r1", "boom");
  DeadLetter("r2", "boom");
  auto anon =
      Client()->Post("/api/v1/dead-letters/purge", "{}", "application/json");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  EXPECT_EQ(broker_.ReadyCount("tasks.dead"), 2);
  auto r = PostAuthed("/api/v1/dead-letters/purge", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), nlohmann::json({{"discarded", 2}}));
  EXPECT_EQ(broker_.ReadyCount("tasks.dead"), 0);
  EXPECT_EQ(Body(PostAuthed("/api/v1/dead-letters/purge", "{}"))["discarded"],
            0);
}

}  // namespace
}  // namespace ebb::http::testing
