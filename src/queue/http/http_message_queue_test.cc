// SPDX-License-Identifier: Apache-2.0
// HttpMessageQueue against the real queue routes over a real EmbeddedQueue.
#include "queue/http/http_message_queue.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <functional>
#include <thread>

#include "http/api_context.h"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"

namespace ebb::queue {
namespace {

using embedded::EmbeddedQueue;

constexpr char kToken[] = "s3cret-token-value";

class HttpMessageQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    embedded::EmbeddedQueueOptions o;
    o.path = testing::MakeTempDir("hq") + "/queue.db";
    auto q = EmbeddedQueue::Open(o);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    eq_ = std::move(*q);
    ctx_.embedded_queue = eq_.get();
    ctx_.token = kToken;
    StartServer();
  }

  void TearDown() override { StopServer(); }

  // On the same port as before once one was bound (a restarted `ebb up`).
  void StartServer() {
    server_ = std::make_unique<httplib::Server>();
    http::RegisterQueueRoutes(*server_, ctx_);
    if (port_ == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      ASSERT_TRUE(server_->bind_to_port("127.0.0.1", port_));
    }
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() before the loop starts would be lost.
    while (!server_->is_running()) std::this_thread::yield();
  }

  void StopServer() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

  std::unique_ptr<HttpMessageQueue> Client(
      std::string token = kToken, absl::Duration lease = absl::Seconds(60),
      RetryPolicy retry = {}) {
    HttpQueueOptions o;
    o.base_url = Url();
    o.token = std::move(token);
    o.lease = lease;
    o.retry = retry;
    auto c = HttpMessageQueue::Create(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  static OutgoingMessage Msg(const std::string& id) {
    OutgoingMessage m;
    m.body = "{\"prompt\":\"p\",\"id\":\"" + id + "\"}";
    m.headers[kHeaderAttempt] = "2";
    return m;
  }

  std::unique_ptr<EmbeddedQueue> eq_;
  http::ApiContext ctx_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(HttpMessageQueueTest, PublishTakeAckRoundTrip) {
  auto c = Client();
  ASSERT_TRUE(c->Publish("tasks", Msg("r1")).ok());
  auto d = c->Take("tasks", absl::Seconds(5));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, Msg("r1").body);
  EXPECT_EQ((*d)->headers[kHeaderAttempt], "2");
  EXPECT_EQ((*d)->queue, "tasks");
  EXPECT_FALSE((*d)->redelivered);
  EXPECT_EQ(c->HeldCount(), 1u);
  EXPECT_EQ(eq_->Request("r1")->state, embedded::RequestState::kRunning);
  ASSERT_TRUE(c->Ack(**d).ok());
  EXPECT_EQ(c->HeldCount(), 0u);
  EXPECT_EQ(eq_->Request("r1")->state, embedded::RequestState::kDone);
  EXPECT_TRUE(c->Ack(**d).ok());  // idempotent: a retried ack
}

TEST_F(HttpMessageQueueTest, NonUtf8BodySurvives) {
  auto c = Client();
  OutgoingMessage m;
  m.body = std::string("\xc3\x28\x00\xff", 4);
  m.message_id = "bin";
  ASSERT_TRUE(c->Publish("tasks", m).ok());
  auto d = c->Take("tasks", absl::Seconds(5));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->body, m.body);
  EXPECT_EQ((*d)->message_id, "bin");
}

TEST_F(HttpMessageQueueTest, TakeLongPollsUntilAPublish) {
  auto c = Client();
  std::thread producer([&] {
    while (eq_->Depth("tasks").ok() && eq_->Depth("tasks")->consumers == 0) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(eq_->Publish("tasks", Msg("late")).ok());
  });
  auto d = c->Take("tasks", absl::Seconds(20));
  producer.join();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, Msg("late").body);
}

TEST_F(HttpMessageQueueTest, EmptyTakeReturnsNothingAfterTheTimeout) {
  auto c = Client();
  auto d = c->Take("tasks", absl::Milliseconds(300));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->has_value());
}

TEST_F(HttpMessageQueueTest, RenewalKeepsALongHeldLease) {
  auto c = Client(kToken, absl::Seconds(3));
  ASSERT_TRUE(c->Publish("tasks", Msg("slow")).ok());
  auto d = c->Take("tasks", absl::Seconds(5));
  ASSERT_TRUE(d.ok() && d->has_value());
  // The behaviour under test is time passing: hold for over two leases.
  auto other = Client();
  auto stolen = other->Take("tasks", absl::Seconds(7));
  ASSERT_TRUE(stolen.ok());
  EXPECT_FALSE(stolen->has_value());
  EXPECT_TRUE(c->Ack(**d).ok());
}

TEST_F(HttpMessageQueueTest, DeadClientsLeaseExpiresAndIsRedelivered) {
  {
    auto c = Client(kToken, absl::Seconds(3));
    ASSERT_TRUE(c->Publish("tasks", Msg("orphan")).ok());
    auto d = c->Take("tasks", absl::Seconds(5));
    ASSERT_TRUE(d.ok() && d->has_value());
  }  // renewals stop, as when the worker dies
  auto other = Client();
  auto d = other->Take("tasks", absl::Seconds(20));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_TRUE((*d)->redelivered);
}

TEST_F(HttpMessageQueueTest, NackDepthBrowseGetAndDeadLetters) {
  auto c = Client();
  ASSERT_TRUE(c->Publish("tasks", Msg("a")).ok());
  ASSERT_TRUE(c->Publish("tasks", Msg("b")).ok());
  EXPECT_EQ(c->Depth("tasks")->ready, 2);
  EXPECT_EQ(c->Browse("tasks", 10)->size(), 2u);
  auto a = c->Take("tasks", absl::Seconds(1));
  ASSERT_TRUE(a.ok() && a->has_value());
  ASSERT_TRUE(c->Nack(**a, true).ok());
  ASSERT_TRUE(DeadLetter(*c, **c->Get("tasks"), "tasks.dead", "bad").ok());
  auto listed = ListDeadLetters(*c, "tasks.dead", 10);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, "a");
  EXPECT_EQ((*listed)[0].reason, "bad");
  auto replayed = ReplayDeadLetters(*c, "tasks.dead", {});
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(*replayed, 1);
  EXPECT_EQ(c->Depth("tasks")->ready, 2);
  EXPECT_EQ(c->HeldCount(), 0u);
}

TEST_F(HttpMessageQueueTest, ErrorsMapToStatusCodesWithoutTheToken) {
  auto c = Client();
  EXPECT_EQ(c->Depth("missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c->Get("missing").status().code(), absl::StatusCode::kNotFound);
  Delivery bogus;
  bogus.delivery_tag = 12345;
  bogus.queue = "tasks";
  EXPECT_EQ(c->Ack(bogus).code(), absl::StatusCode::kFailedPrecondition);

  auto wrong = Client("wrong-token-value");
  absl::Status denied = wrong->Publish("tasks", Msg("x"));
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("token"), std::string::npos);
  EXPECT_EQ(denied.message().find("wrong-token-value"), std::string::npos);

  StopServer();
  absl::Status down = c->Publish("tasks", Msg("x"));
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(down.message().find(Url()), std::string::npos);
  EXPECT_EQ(down.message().find(kToken), std::string::npos);

  HttpQueueOptions bad;
  bad.base_url = "not a url";
  EXPECT_EQ(HttpMessageQueue::Create(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpMessageQueueTest, WithoutTheEmbeddedQueueRoutesAnswer503) {
  StopServer();
  ctx_.embedded_queue = nullptr;
  StartServer();
  auto c = Client();
  EXPECT_EQ(c->Publish("tasks", Msg("x")).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(HttpMessageQueueTest, ServerStopWaitsAtMostOneCappedLongPoll) {
  auto c = Client();
  absl::Time returned;
  std::thread taker([&] {
    (void)c->Take("tasks", absl::Seconds(30));
    returned = absl::Now();
  });
  while (eq_->Depth("tasks").ok() == false ||
         eq_->Depth("tasks")->consumers == 0) {
    std::this_thread::yield();
  }
  const absl::Time stop = absl::Now();
  StopServer();
  taker.join();
  // The server caps one poll at 10 s; the client's next poll is refused.
  EXPECT_LT(returned - stop, absl::Seconds(11));
  EXPECT_LT(absl::Now() - stop, absl::Seconds(11));
}

// Polls `pred` every 10 ms until true or `limit` passes.
bool WaitFor(const std::function<bool()>& pred, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!pred()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

RetryPolicy QuickRetry() {
  RetryPolicy r;
  r.initial_delay = absl::Milliseconds(20);
  r.max_delay = absl::Milliseconds(200);
  r.give_up_after = absl::Minutes(2);
  return r;
}

TEST_F(HttpMessageQueueTest, HeldMessageIsAckedAfterEbbComesBack) {
  auto c = Client(kToken, absl::Seconds(3), QuickRetry());
  ASSERT_TRUE(c->Publish("tasks", Msg("held")).ok());
  auto d = c->Take("tasks", absl::Seconds(5));
  ASSERT_TRUE(d.ok() && d->has_value());
  StopServer();
  std::atomic<bool> acked{false};
  absl::Status ack;
  std::thread worker([&] {
    ack = c->Ack(**d);
    acked = true;
  });
  // The ack is being retried while ebb is down.
  EXPECT_FALSE(WaitFor([&] { return acked.load(); }, absl::Milliseconds(500)));
  StartServer();
  worker.join();
  EXPECT_TRUE(ack.ok()) << ack.ToString();
  EXPECT_EQ(eq_->Request("held")->state, embedded::RequestState::kDone);
}

TEST_F(HttpMessageQueueTest, TakeWaitsOutAnOutage) {
  auto c = Client(kToken, absl::Seconds(60), QuickRetry());
  StopServer();
  std::thread restart([&] {
    // Taking is being retried meanwhile; then ebb returns with a message.
    absl::SleepFor(absl::Milliseconds(500));
    ASSERT_TRUE(eq_->Publish("tasks", Msg("later")).ok());
    StartServer();
  });
  auto d = c->Take("tasks", absl::Seconds(1));
  restart.join();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, Msg("later").body);
}

TEST_F(HttpMessageQueueTest, InterruptEndsATakeWaitingOutAnOutage) {
  auto c = Client(kToken, absl::Seconds(60), QuickRetry());
  StopServer();
  absl::StatusOr<std::optional<Delivery>> d = absl::UnknownError("");
  std::atomic<bool> returned{false};
  std::thread taker([&] {
    d = c->Take("tasks", absl::Seconds(1));
    returned = true;
  });
  EXPECT_FALSE(
      WaitFor([&] { return returned.load(); }, absl::Milliseconds(300)));
  c->Interrupt();
  EXPECT_TRUE(WaitFor([&] { return returned.load(); }, absl::Seconds(5)));
  taker.join();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->has_value());
}

TEST_F(HttpMessageQueueTest, GivesUpWhenTheOutageOutlastsThePolicy) {
  RetryPolicy r = QuickRetry();
  r.give_up_after = absl::Milliseconds(300);
  auto c = Client(kToken, absl::Seconds(60), r);
  StopServer();
  absl::Status s = c->Publish("tasks", Msg("x"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("gave up"), std::string::npos) << s;
}

}  // namespace
}  // namespace ebb::queue
