// SPDX-License-Identifier: Apache-2.0
//
// The rabbitmq scaler against a real broker (tests/harness/harness.h): AMQP
// counts ready messages only, HTTP `messages` counts in-flight ones too.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "scalers/rabbitmq/rabbitmq_scaler.h"
#include "tests/harness/harness.h"

namespace ebb::scalers {
namespace {

// A raw rabbitmq-c connection on channel 1, for producing and consuming.
class RawConnection {
 public:
  explicit RawConnection(const std::string& url) {
    std::vector<char> buf(url.begin(), url.end());
    buf.push_back('\0');
    amqp_connection_info info;
    amqp_default_connection_info(&info);
    EXPECT_EQ(amqp_parse_url(buf.data(), &info), AMQP_STATUS_OK);
    conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    EXPECT_EQ(amqp_socket_open(socket, info.host, info.port), AMQP_STATUS_OK);
    const char* vhost = (info.vhost && *info.vhost) ? info.vhost : "/";
    EXPECT_EQ(amqp_login(conn_, vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                         AMQP_SASL_METHOD_PLAIN, info.user, info.password)
                  .reply_type,
              AMQP_RESPONSE_NORMAL);
    amqp_channel_open(conn_, 1);
    EXPECT_EQ(amqp_get_rpc_reply(conn_).reply_type, AMQP_RESPONSE_NORMAL);
  }
  ~RawConnection() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }

  void DeclareDurable(const std::string& queue) {
    amqp_queue_declare(conn_, 1, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0,
                       amqp_empty_table);
    ASSERT_EQ(amqp_get_rpc_reply(conn_).reply_type, AMQP_RESPONSE_NORMAL);
  }

  void DeleteQueue(const std::string& queue) {
    amqp_queue_delete(conn_, 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
  }

  // N persistent messages, then waits for every publisher confirm.
  void PublishConfirmed(const std::string& queue, int n) {
    amqp_confirm_select(conn_, 1);
    ASSERT_EQ(amqp_get_rpc_reply(conn_).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = 2;
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(
          amqp_basic_publish(conn_, 1, amqp_empty_bytes,
                             amqp_cstring_bytes(queue.c_str()), 0, 0, &props,
                             amqp_cstring_bytes(R"({"prompt":"cat"})")),
          AMQP_STATUS_OK);
    }
    uint64_t acked = 0;
    while (acked < static_cast<uint64_t>(n)) {
      amqp_frame_t frame;
      struct timeval tv = {10, 0};
      ASSERT_EQ(amqp_simple_wait_frame_noblock(conn_, &frame, &tv),
                AMQP_STATUS_OK);
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      ASSERT_EQ(frame.payload.method.id, AMQP_BASIC_ACK_METHOD);
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      acked = ack->multiple ? ack->delivery_tag : acked + 1;
    }
  }

  // Takes one message with prefetch 1 and holds it unacknowledged.
  void HoldOneUnacked(const std::string& queue) {
    amqp_basic_qos(conn_, 1, 0, 1, 0);
    amqp_basic_consume(conn_, 1, amqp_cstring_bytes(queue.c_str()),
                       amqp_empty_bytes, 0, /*no_ack=*/0, 0, amqp_empty_table);
    ASSERT_EQ(amqp_get_rpc_reply(conn_).reply_type, AMQP_RESPONSE_NORMAL);
    amqp_envelope_t envelope;
    struct timeval tv = {10, 0};
    ASSERT_EQ(amqp_consume_message(conn_, &envelope, &tv, 0).reply_type,
              AMQP_RESPONSE_NORMAL);
    amqp_destroy_envelope(&envelope);
  }

 private:
  amqp_connection_state_t conn_;
};

struct Trigger {
  spec::ScaledJob job;
  spec::ScaleTrigger trigger;
  ScalerContext ctx;
  Trigger(const std::string& host, const std::string& queue,
          std::map<std::string, std::string> extra = {}) {
    job.name = "it";
    trigger.type = "rabbitmq";
    trigger.metadata = {{"queueName", queue},
                        {"host", host},
                        {"mode", "QueueLength"},
                        {"value", "1"}};
    for (auto& [k, v] : extra) trigger.metadata[k] = v;
    ctx.scaled_job = &job;
    ctx.trigger = &trigger;
  }
  std::unique_ptr<Scaler> Create() {
    auto s = NewRabbitMqScalerFactory()->Create(ctx);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
};

// Polls until `want` is read or the deadline passes; returns the last value.
double PollUntil(Scaler& scaler, double want, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  double last = -1;
  while (std::chrono::steady_clock::now() < end) {
    absl::StatusOr<MetricReading> r = scaler.GetMetricsAndActivity();
    if (r.ok()) {
      last = r->value;
      if (last == want) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

std::string WithPassword(std::string url, const std::string& password) {
  // "scheme://guest:guest@..." -> "scheme://guest:<password>@...".
  size_t colon = url.find(':', url.find("://") + 3);
  size_t at = url.find('@');
  return url.replace(colon + 1, at - colon - 1, password);
}

TEST(RabbitMqIntegrationTest, AmqpCountsReadyHttpCountsInFlight) {
  const std::string queue = ebb::testing::UniqueName("scaler");
  RawConnection producer(ebb::testing::TestAmqpUrl());
  producer.DeclareDurable(queue);
  constexpr int kN = 5;
  producer.PublishConfirmed(queue, kN);

  Trigger amqp(ebb::testing::TestAmqpUrl(), queue);
  std::unique_ptr<Scaler> amqp_scaler = amqp.Create();
  ASSERT_NE(amqp_scaler, nullptr);
  absl::StatusOr<MetricReading> r = amqp_scaler->GetMetricsAndActivity();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value, kN);
  EXPECT_TRUE(r->active);
  EXPECT_EQ(r->metric_name, "s0-rabbitmq-" + queue);
  EXPECT_EQ(amqp_scaler->Target(), 1);
  EXPECT_EQ(amqp_scaler->Describe().find(":guest@"), std::string::npos);

  RawConnection consumer(ebb::testing::TestAmqpUrl());
  consumer.HoldOneUnacked(queue);
  EXPECT_EQ(PollUntil(*amqp_scaler, kN - 1, std::chrono::seconds(10)), kN - 1);

  Trigger http(ebb::testing::TestManagementUrl(), queue);
  std::unique_ptr<Scaler> http_scaler = http.Create();
  ASSERT_NE(http_scaler, nullptr);
  // The management stats lag; poll until the broker emits them.
  EXPECT_EQ(PollUntil(*http_scaler, kN, std::chrono::seconds(30)), kN);

  Trigger ready(ebb::testing::TestManagementUrl(), queue,
                {{"excludeUnacknowledged", "true"}});
  std::unique_ptr<Scaler> ready_scaler = ready.Create();
  ASSERT_NE(ready_scaler, nullptr);
  EXPECT_EQ(PollUntil(*ready_scaler, kN - 1, std::chrono::seconds(30)), kN - 1);
  producer.DeleteQueue(queue);
}

TEST(RabbitMqIntegrationTest, MissingQueueIsNotFoundAndChannelRecovers) {
  const std::string queue = ebb::testing::UniqueName("missing");
  Trigger amqp(ebb::testing::TestAmqpUrl(), queue);
  std::unique_ptr<Scaler> scaler = amqp.Create();
  ASSERT_NE(scaler, nullptr);
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<MetricReading> r = scaler->GetMetricsAndActivity();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  }
  // Once the queue exists, the same scaler reads it (channel reopened).
  RawConnection producer(ebb::testing::TestAmqpUrl());
  producer.DeclareDurable(queue);
  producer.PublishConfirmed(queue, 2);
  absl::StatusOr<MetricReading> r = scaler->GetMetricsAndActivity();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value, 2);

  Trigger http(ebb::testing::TestManagementUrl(),
               ebb::testing::UniqueName("missing"));
  std::unique_ptr<Scaler> http_scaler = http.Create();
  ASSERT_NE(http_scaler, nullptr);
  r = http_scaler->GetMetricsAndActivity();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  producer.DeleteQueue(queue);
}

TEST(RabbitMqIntegrationTest, WrongPasswordErrorsWithoutThePassword) {
  const std::string bad = "wrong-Pa55word";
  Trigger amqp(WithPassword(ebb::testing::TestAmqpUrl(), bad), "tasks");
  auto s = NewRabbitMqScalerFactory()->Create(amqp.ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find(bad), std::string::npos) << s.status();

  // The same password given as an authParams override.
  Trigger over(ebb::testing::TestAmqpUrl(), "tasks");
  over.ctx.auth_params = {{"username", "guest"}, {"password", bad}};
  s = NewRabbitMqScalerFactory()->Create(over.ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find(bad), std::string::npos) << s.status();

  Trigger http(WithPassword(ebb::testing::TestManagementUrl(), bad), "tasks");
  std::unique_ptr<Scaler> scaler = http.Create();
  ASSERT_NE(scaler, nullptr);
  absl::StatusOr<MetricReading> r = scaler->GetMetricsAndActivity();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_EQ(r.status().message().find(bad), std::string::npos) << r.status();
}

}  // namespace
}  // namespace ebb::scalers
