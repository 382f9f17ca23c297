// SPDX-License-Identifier: Apache-2.0
#include "scalers/embedded/embedded_queue_scaler.h"

#include <gtest/gtest.h>

#include "queue/embedded/embedded_queue.h"
#include "tests/harness/harness.h"

namespace ebb::scalers {
namespace {

class EmbeddedQueueScalerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    queue::embedded::EmbeddedQueueOptions o;
    o.path = testing::MakeTempDir("eqs") + "/queue.db";
    q_ = std::move(*queue::embedded::EmbeddedQueue::Open(o));
    factory_ = NewEmbeddedQueueScalerFactory(q_.get());
    trigger_.type = "ebb-queue";
    trigger_.metadata = {{"queueName", "tasks"}};
    ctx_.trigger = &trigger_;
    ctx_.trigger_index = 0;
  }

  void Publish(int n) {
    for (int i = 0; i < n; ++i) {
      queue::OutgoingMessage m;
      m.body = "{\"prompt\":\"p\"}";
      ASSERT_TRUE(q_->Publish("tasks", m).ok());
    }
  }

  std::unique_ptr<queue::embedded::EmbeddedQueue> q_;
  std::unique_ptr<ScalerFactory> factory_;
  spec::ScaleTrigger trigger_;
  ScalerContext ctx_;
};

TEST_F(EmbeddedQueueScalerTest, ReadsReadyMessagesExcludingLeased) {
  EXPECT_EQ(factory_->Type(), "ebb-queue");
  EXPECT_EQ(factory_->CountsInFlight(ctx_), InFlightCounting::kExcluded);
  EXPECT_EQ(factory_->QueueName(ctx_), "tasks");
  auto scaler = factory_->Create(ctx_);
  ASSERT_TRUE(scaler.ok()) << scaler.status().ToString();
  EXPECT_EQ((*scaler)->MetricName(), "s0-ebb-queue-tasks");
  EXPECT_EQ((*scaler)->Target(), 1);

  auto empty = (*scaler)->GetMetricsAndActivity();  // never published: 0
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->value, 0);
  EXPECT_FALSE(empty->active);

  Publish(3);
  ASSERT_TRUE(q_->Take("tasks", absl::ZeroDuration())->has_value());
  auto r = (*scaler)->GetMetricsAndActivity();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, 2);
  EXPECT_TRUE(r->active);
  EXPECT_EQ(r->metric_name, "s0-ebb-queue-tasks");
}

TEST_F(EmbeddedQueueScalerTest, ActivationValueAndTarget) {
  trigger_.metadata["value"] = "2.5";
  trigger_.metadata["activationValue"] = "2";
  ctx_.trigger_index = 3;
  auto scaler = factory_->Create(ctx_);
  ASSERT_TRUE(scaler.ok());
  EXPECT_EQ((*scaler)->Target(), 2.5);
  EXPECT_EQ((*scaler)->MetricName(), "s3-ebb-queue-tasks");
  Publish(2);
  EXPECT_FALSE((*scaler)->GetMetricsAndActivity()->active);
  Publish(1);
  EXPECT_TRUE((*scaler)->GetMetricsAndActivity()->active);
}

TEST_F(EmbeddedQueueScalerTest, ValidationErrorsNameTheKey) {
  trigger_.metadata.erase("queueName");
  absl::Status s = factory_->Validate(ctx_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("queueName"), std::string::npos);

  trigger_.metadata = {{"queueName", "tasks"}, {"value", "0"}};
  s = factory_->Validate(ctx_);
  EXPECT_NE(s.message().find("value"), std::string::npos);
  trigger_.metadata = {{"queueName", "tasks"}, {"activationValue", "x"}};
  s = factory_->Validate(ctx_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("activationValue"), std::string::npos);
  trigger_.metadata = {{"queueName", "tasks"}, {"activationValue", "0"}};
  EXPECT_TRUE(factory_->Validate(ctx_).ok());
}

TEST_F(EmbeddedQueueScalerTest, WithoutTheQueueCreateFailsButValidateWorks) {
  auto none = NewEmbeddedQueueScalerFactory(nullptr);
  EXPECT_TRUE(none->Validate(ctx_).ok());
  EXPECT_EQ(none->Create(ctx_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ebb::scalers
