// SPDX-License-Identifier: Apache-2.0
//
// Integration tests of RabbitMqQueue against a real broker on loopback
// (tests/harness: EBB_TEST_AMQP_URL or a private node).
#include "queue/rabbitmq/rabbitmq_queue.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "queue/dead_letters.h"
#include "queue/rabbitmq/amqp_util.h"
#include "tests/harness/harness.h"

namespace ebb::queue {
namespace {

// A bare rabbitmq-c connection, to set up and inspect the broker behind the
// back of the class under test.
class RawAmqp {
 public:
  explicit RawAmqp(const std::string& url) {
    auto u = amqp::ParseUrl(url);
    conn_ = amqp_new_connection();
    amqp_socket_t* s = amqp_tcp_socket_new(conn_);
    ok_ =
        u.ok() && amqp_socket_open(s, u->host.c_str(), u->port) == 0 &&
        amqp_login(conn_, u->vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                   AMQP_SASL_METHOD_PLAIN, u->user.c_str(), u->password.c_str())
                .reply_type == AMQP_RESPONSE_NORMAL;
  }
  ~RawAmqp() {
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  bool ok() const { return ok_; }

  // Declares `queue` on a fresh channel; returns 0 on success, else the
  // server's reply code (406 when it exists with other arguments).
  int Declare(const std::string& queue, bool durable) {
    const uint16_t ch = next_channel_++;
    amqp_channel_open(conn_, ch);
    amqp_queue_declare(conn_, ch, amqp_cstring_bytes(queue.c_str()), 0,
                       durable ? 1 : 0, 0, 0, amqp_empty_table);
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return 0;
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn_, ch, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      return static_cast<amqp_channel_close_t*>(r.reply.decoded)->reply_code;
    }
    return -1;
  }

  // basic.get (auto-ack) of one message; the kind of header `key`, or -1.
  int HeaderKind(const std::string& queue, const std::string& key) {
    const uint16_t ch = next_channel_++;
    amqp_channel_open(conn_, ch);
    amqp_rpc_reply_t r =
        amqp_basic_get(conn_, ch, amqp_cstring_bytes(queue.c_str()), 1);
    if (r.reply_type != AMQP_RESPONSE_NORMAL ||
        r.reply.id != AMQP_BASIC_GET_OK_METHOD) {
      return -1;
    }
    amqp_message_t msg;
    if (amqp_read_message(conn_, ch, &msg, 0).reply_type !=
        AMQP_RESPONSE_NORMAL) {
      return -1;
    }
    int kind = -1;
    const amqp_table_t& t = msg.properties.headers;
    for (int i = 0; i < t.num_entries; ++i) {
      if (amqp::ToString(t.entries[i].key) == key)
        kind = t.entries[i].value.kind;
    }
    amqp_destroy_message(&msg);
    return kind;
  }

 private:
  amqp_connection_state_t conn_;
  bool ok_ = false;
  uint16_t next_channel_ = 1;
};

class RabbitMqQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = ebb::testing::TestAmqpUrl();
    mq_ = MustConnect();
    queue_ = ebb::testing::UniqueName("q");
  }

  std::unique_ptr<RabbitMqQueue> MustConnect() {
    RabbitMqOptions options;
    options.url = url_;
    options.connection_name = "ebb-queue-test";
    auto mq = RabbitMqQueue::Connect(options);
    EXPECT_TRUE(mq.ok()) << mq.status();
    return mq.ok() ? std::move(*mq) : nullptr;
  }

  static OutgoingMessage Msg(const std::string& body,
                             const std::string& id = "") {
    OutgoingMessage m;
    m.body = body;
    m.message_id = id;
    return m;
  }

  // Acks and nacks reach the queue asynchronously (other channels than the
  // one Depth uses): wait until the count settles, bounded.
  int64_t EventuallyReady(const std::string& queue, int64_t want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    int64_t ready = -1;
    while (absl::Now() < deadline) {
      auto d = mq_->Depth(queue);
      if (!d.ok()) return -1;
      ready = d->ready;
      if (ready == want) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return ready;
  }

  std::string url_;
  std::string queue_;
  std::unique_ptr<RabbitMqQueue> mq_;
};

TEST_F(RabbitMqQueueTest, PublishIsConfirmedSoDepthCountsExactly) {
  ASSERT_NE(mq_, nullptr);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(mq_->Publish(queue_, Msg("m" + std::to_string(i))).ok());
  }
  auto depth = mq_->Depth(queue_);
  ASSERT_TRUE(depth.ok()) << depth.status();
  EXPECT_EQ(depth->ready, 200);
  EXPECT_EQ(depth->consumers, 0);
}

TEST_F(RabbitMqQueueTest, TakeThenAckRemovesTheMessage) {
  ASSERT_NE(mq_, nullptr);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("{\"prompt\":\"a\"}", "r1")).ok());
  auto d = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, "{\"prompt\":\"a\"}");
  EXPECT_EQ((*d)->message_id, "r1");
  EXPECT_EQ((*d)->queue, queue_);
  EXPECT_FALSE((*d)->redelivered);
  // The consumer is cancelled once it delivered: nothing more is pushed to us.
  EXPECT_EQ(mq_->Depth(queue_)->consumers, 0);
  ASSERT_TRUE(mq_->Ack(**d).ok());
  auto none = mq_->Take(queue_, absl::Milliseconds(200));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(EventuallyReady(queue_, 0), 0);
}

// A job-mode worker takes one message, acks it and exits. The next message must
// not have been pushed to it meanwhile, or it would come back `redelivered` and
// be charged an attempt that never happened.
TEST_F(RabbitMqQueueTest, NextMessageIsNotPushedToAConsumerThatTookOne) {
  ASSERT_NE(mq_, nullptr);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("first", "m1")).ok());
  ASSERT_TRUE(mq_->Publish(queue_, Msg("second", "m2")).ok());
  {
    RabbitMqOptions o;
    o.url = ebb::testing::TestAmqpUrl();
    auto worker = RabbitMqQueue::Connect(o);
    ASSERT_TRUE(worker.ok()) << worker.status();
    auto d = (*worker)->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value());
    ASSERT_TRUE((*worker)->Ack(**d).ok());
  }  // the worker exits
  auto next = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->message_id, "m2");
  EXPECT_FALSE((*next)->redelivered);
}

TEST_F(RabbitMqQueueTest, TakeOfMissingQueueDeclaresItAndTimesOut) {
  ASSERT_NE(mq_, nullptr);
  const absl::Time start = absl::Now();
  auto none = mq_->Take(queue_, absl::Milliseconds(300));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_TRUE(mq_->Depth(queue_).ok());
}

TEST_F(RabbitMqQueueTest, NackWithRequeueIsRedelivered) {
  ASSERT_NE(mq_, nullptr);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("again")).ok());
  auto d = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(d.ok() && d->has_value());
  ASSERT_TRUE(mq_->Nack(**d, /*requeue=*/true).ok());
  auto again = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(again.ok() && again->has_value()) << again.status();
  EXPECT_EQ((*again)->body, "again");
  EXPECT_TRUE((*again)->redelivered);
  ASSERT_TRUE(mq_->Nack(**again, /*requeue=*/false).ok());
  EXPECT_EQ(EventuallyReady(queue_, 0), 0);
}

TEST_F(RabbitMqQueueTest, DroppedConnectionRedeliversToAnotherConsumer) {
  ASSERT_NE(mq_, nullptr);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("precious")).ok());
  {
    std::unique_ptr<RabbitMqQueue> worker = MustConnect();
    ASSERT_NE(worker, nullptr);
    auto d = worker->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value());
    EXPECT_FALSE((*d)->redelivered);
  }  // connection closed while holding the unacked message
  std::unique_ptr<RabbitMqQueue> other = MustConnect();
  ASSERT_NE(other, nullptr);
  auto d = other->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->body, "precious");
  EXPECT_TRUE((*d)->redelivered);
  EXPECT_TRUE(other->Ack(**d).ok());
}

TEST_F(RabbitMqQueueTest, ExistingNonDurableQueueIsUsedNotRedeclared) {
  ASSERT_NE(mq_, nullptr);
  RawAmqp raw(url_);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw.Declare(queue_, /*durable=*/false), 0);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("x")).ok());
  EXPECT_EQ(mq_->Depth(queue_)->ready, 1);
  auto d = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(d.ok() && d->has_value()) << d.status();
  EXPECT_TRUE(mq_->Ack(**d).ok());
  // Still non-durable: a non-durable redeclare is accepted, a durable one not.
  EXPECT_EQ(raw.Declare(queue_, /*durable=*/false), 0);
  EXPECT_EQ(raw.Declare(queue_, /*durable=*/true), AMQP_PRECONDITION_FAILED);
}

TEST_F(RabbitMqQueueTest, MissingQueueIsDeclaredDurable) {
  ASSERT_NE(mq_, nullptr);
  ASSERT_TRUE(mq_->Publish(queue_, Msg("x")).ok());
  RawAmqp raw(url_);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Declare(queue_, /*durable=*/true), 0);
  EXPECT_EQ(raw.Declare(queue_, /*durable=*/false), AMQP_PRECONDITION_FAILED);
}

TEST_F(RabbitMqQueueTest, MissingQueueIsNotFoundAndChannelRecovers) {
  ASSERT_NE(mq_, nullptr);
  EXPECT_TRUE(absl::IsNotFound(mq_->Depth(queue_).status()));
  EXPECT_TRUE(absl::IsNotFound(mq_->Get(queue_).status()));
  EXPECT_TRUE(absl::IsNotFound(mq_->Browse(queue_, 5).status()));
  ASSERT_TRUE(mq_->Publish(queue_, Msg("after")).ok());
  EXPECT_EQ(mq_->Depth(queue_)->ready, 1);
}

TEST_F(RabbitMqQueueTest, HeadersRoundTripWithInt64OnTheWire) {
  ASSERT_NE(mq_, nullptr);
  OutgoingMessage m = Msg("h", "id-h");
  m.headers[kHeaderEnqueuedAtMs] = "1764452400123";
  m.headers[kHeaderAttempt] = "2";
  m.headers[kHeaderLastError] = "CUDA out of memory";
  ASSERT_TRUE(mq_->Publish(queue_, m).ok());
  ASSERT_TRUE(mq_->Publish(queue_, m).ok());
  // Inspect the first copy's wire types before a consumer exists.
  RawAmqp raw(url_);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.HeaderKind(queue_, kHeaderEnqueuedAtMs), AMQP_FIELD_KIND_I64);
  auto d = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->headers, m.headers);
  EXPECT_EQ((*d)->message_id, "id-h");
  ASSERT_TRUE(mq_->Ack(**d).ok());
}

TEST_F(RabbitMqQueueTest, BrowseLeavesQueueIntactAndInOrder) {
  ASSERT_NE(mq_, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(mq_->Publish(queue_, Msg(std::to_string(i))).ok());
  }
  auto browsed = mq_->Browse(queue_, 3);
  ASSERT_TRUE(browsed.ok()) << browsed.status();
  ASSERT_EQ(browsed->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*browsed)[i].body, std::to_string(i));
  EXPECT_EQ(EventuallyReady(queue_, 5), 5);
  for (int i = 0; i < 5; ++i) {
    auto got = mq_->Get(queue_);
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
    EXPECT_EQ((*got)->body, std::to_string(i));
    ASSERT_TRUE(mq_->Ack(**got).ok());
  }
  auto empty = mq_->Get(queue_);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

TEST_F(RabbitMqQueueTest, DeadLetterListAndReplayRoundTrip) {
  ASSERT_NE(mq_, nullptr);
  const std::string dead = DeadLetterQueueName(queue_);
  for (const char* id : {"r1", "r2", "r3"}) {
    OutgoingMessage m = Msg(std::string("{\"id\":\"") + id + "\"}", id);
    m.headers[kHeaderAttempt] = "4";
    ASSERT_TRUE(mq_->Publish(queue_, m).ok());
    auto d = mq_->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value());
    ASSERT_TRUE(DeadLetter(*mq_, **d, dead, std::string("boom ") + id).ok());
  }
  auto entries = ListDeadLetters(*mq_, dead, 10);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].id, "r1");
  EXPECT_EQ((*entries)[0].reason, "boom r1");
  EXPECT_EQ((*entries)[0].original_queue, queue_);
  EXPECT_EQ((*entries)[0].attempt, 4);
  EXPECT_EQ(EventuallyReady(dead, 3), 3);

  auto one = ReplayDeadLetters(*mq_, dead, {"r2"});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(EventuallyReady(dead, 2), 2);
  auto back = mq_->Take(queue_, absl::Seconds(10));
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->message_id, "r2");
  EXPECT_EQ((*back)->headers.at(kHeaderAttempt), "0");
  EXPECT_EQ((*back)->headers.count(kHeaderDeadReason), 0u);
  ASSERT_TRUE(mq_->Ack(**back).ok());

  auto rest = ReplayDeadLetters(*mq_, dead, {});
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, 2);
  EXPECT_EQ(EventuallyReady(dead, 0), 0);
  for (const char* id : {"r1", "r3"}) {
    auto d = mq_->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value()) << d.status();
    EXPECT_EQ((*d)->message_id, id);
    EXPECT_EQ((*d)->headers.at(kHeaderAttempt), "0");
    ASSERT_TRUE(mq_->Ack(**d).ok());
  }
}

TEST_F(RabbitMqQueueTest, DeliveriesArrivingDuringPublishAreKeptForTake) {
  ASSERT_NE(mq_, nullptr);
  const std::string other = ebb::testing::UniqueName("other");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(mq_->Publish(queue_, Msg(std::to_string(i))).ok());
  }
  for (int i = 0; i < 3; ++i) {
    auto d = mq_->Take(queue_, absl::Seconds(10));
    ASSERT_TRUE(d.ok() && d->has_value()) << d.status();
    EXPECT_EQ((*d)->body, std::to_string(i));
    ASSERT_TRUE(mq_->Ack(**d).ok());
    // The broker pushes the next message (prefetch 1) while this publish
    // waits for its confirm on the same connection.
    ASSERT_TRUE(mq_->Publish(other, Msg("side")).ok());
  }
  EXPECT_EQ(mq_->Depth(other)->ready, 3);
}

TEST(RabbitMqQueueReconnectTest, BrokerDownIsUnavailableThenReconnects) {
  ebb::testing::ScopedRabbitMq broker;
  ASSERT_TRUE(broker.Start());
  RabbitMqOptions options;
  options.url = broker.AmqpUrl();
  auto mq = RabbitMqQueue::Connect(options);
  ASSERT_TRUE(mq.ok()) << mq.status();
  const std::string queue = ebb::testing::UniqueName("q");
  OutgoingMessage m;
  m.body = "x";
  ASSERT_TRUE((*mq)->Publish(queue, m).ok());
  broker.Stop();
  absl::Status down = (*mq)->Publish(queue, m);
  EXPECT_TRUE(absl::IsUnavailable(down)) << down;
  ASSERT_TRUE(broker.Start());
  ASSERT_TRUE((*mq)->Publish(queue, m).ok());  // reconnected
  auto depth = (*mq)->Depth(queue);
  ASSERT_TRUE(depth.ok()) << depth.status();
  EXPECT_EQ(depth->ready, 2);  // durable queue, persistent messages
}

TEST(RabbitMqQueueConnectTest, UnreachableBrokerIsUnavailableFastAndMasked) {
  RabbitMqOptions options;
  options.url = "amqp://guest:hunter2@127.0.0.1:" +
                std::to_string(ebb::testing::FreePort()) + "/";
  options.connect_timeout = absl::Seconds(2);
  const absl::Time start = absl::Now();
  auto mq = RabbitMqQueue::Connect(options);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ASSERT_TRUE(absl::IsUnavailable(mq.status())) << mq.status();
  const std::string msg(mq.status().message());
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("guest:***@127.0.0.1"), std::string::npos) << msg;
}

TEST(RabbitMqQueueConnectTest, WrongPasswordIsUnavailableAndMasked) {
  auto url = amqp::ParseUrl(ebb::testing::TestAmqpUrl());
  ASSERT_TRUE(url.ok());
  RabbitMqOptions options;
  options.url = "amqp://guest:wrongpass@" + url->host + ":" +
                std::to_string(url->port) + "/";
  auto mq = RabbitMqQueue::Connect(options);
  ASSERT_TRUE(absl::IsUnavailable(mq.status())) << mq.status();
  EXPECT_EQ(std::string(mq.status().message()).find("wrongpass"),
            std::string::npos);
}

}  // namespace
}  // namespace ebb::queue
