// SPDX-License-Identifier: Apache-2.0
// Worker: attempts counted before parsing, JSON limits, dead-letter ids,
// attempt numbers that agree, retry backoff and failures not retried.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "queue/dead_letters.h"
#include "worker/attempts.h"
#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class WorkerDeliveryTest : public WorkerTestBase {};

std::string DeeplyNested(int levels) {
  return absl::StrCat(R"({"prompt": "p", "x": )", std::string(levels, '['),
                      std::string(levels, ']'), "}");
}

TEST_F(WorkerDeliveryTest,
       DeeplyNestedIdlessBodyIsAnInvalidDeadLetterWithAnId) {
  auto sim = MakeSim();
  const std::string body = DeeplyNested(100000);  // segfaulted the parser
  PublishRaw(body);
  auto n = RunWorker(*sim, Options());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.invalid, 1);
  EXPECT_EQ(stats_.ids_assigned, 0);
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("nested more than 32 levels deep"));
  // An id derived from the body, the same for every copy of it.
  EXPECT_THAT(dead[0].message_id, StartsWith("msg-"));
  EXPECT_EQ(dead[0].message_id, queue::DerivedMessageId(body));
  EXPECT_TRUE(ValidateTaskId(dead[0].message_id).ok());
  auto listed = queue::ListDeadLetters(mq_, kDeadQueue, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].id, dead[0].message_id);
  EXPECT_EQ((*listed)[0].attempt, 1);
}

TEST_F(WorkerDeliveryTest, OversizedBodyIsInvalid) {
  auto sim = MakeSim();
  PublishRaw(absl::StrCat(R"({"prompt": "p", "pad": ")",
                          std::string(kMaxBodyBytes, 'a'), "\"}"));
  ASSERT_TRUE(RunWorker(*sim, Options()).ok());
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("bytes (max 262144)"));
}

TEST_F(WorkerDeliveryTest, DeathsAreCountedBeforeTheBodyIsParsed) {
  auto sim = MakeSim();
  // An id-less body that (once) crashed every worker, at its fifth delivery
  // without ack (a quorum queue's count): dead-lettered as out of attempts,
  // without being parsed as a task.
  PublishRaw(DeeplyNested(100000), "", {{queue::kHeaderDeliveryCount, "5"}});
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(stats_.failed, 1);
  EXPECT_EQ(stats_.invalid, 0);
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("gave up after 5 attempt(s)"));
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("worker died"));
  EXPECT_EQ(Header(dead[0], queue::kHeaderAttempt), "5");
  EXPECT_EQ(Header(dead[0], queue::kHeaderDeliveryCount), "");
  EXPECT_THAT(dead[0].message_id, StartsWith("msg-"));
}

TEST_F(WorkerDeliveryTest, RedeliveryIsRequeuedWithTheCountBeforeParsing) {
  auto sim = MakeSim();
  PublishRaw("not even json", "", {{queue::kHeaderAttempt, "1"}});
  ASSERT_TRUE(mq_.Take(kQueue, absl::ZeroDuration())->has_value());
  mq_.SimulateConnectionLoss();
  SpyQueue spy(mq_);
  WorkerOptions opts = Options();
  opts.retry_backoff = absl::Milliseconds(100);
  Worker w(spy, store_, *sim, clock_, opts);
  ASSERT_TRUE(w.Run().ok());
  EXPECT_EQ(w.stats().redelivered, 1);
  // The count went up first; only the copy was found invalid.
  ASSERT_GE(spy.published.size(), 1u);
  EXPECT_EQ(spy.published[0].first, kQueue);
  EXPECT_EQ(spy.published[0].second.headers.at(queue::kHeaderAttempt), "2");
  EXPECT_EQ(spy.published[0].second.delay, absl::Milliseconds(200));
}

TEST_F(WorkerDeliveryTest, AttemptAgreesInRecordDeadLetterAndList) {
  auto sim = MakeSim("explode");
  Publish({{"id", "a1"}, {"prompt", "explode"}}, "a1");
  WorkerOptions opts = Options(/*max_tasks=*/0);
  opts.attempt_limit = 5;  // the seed's backoffLimit 4
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, opts);
  spy.on_take = [&](const std::optional<queue::Delivery>& d) {
    if (!d.has_value()) w.RequestStop();
  };
  ASSERT_TRUE(w.Run().ok());
  EXPECT_EQ(w.stats().retried, 4);
  EXPECT_EQ(w.stats().failed, 1);
  EXPECT_EQ(Record("a1")["attempt"], 5);
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(Header(dead[0], queue::kHeaderAttempt), "5");
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("gave up after 5 attempt(s)"));
  auto listed = queue::ListDeadLetters(mq_, kDeadQueue, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].attempt, 5);
}

TEST_F(WorkerDeliveryTest, RetriesBackOffExponentially) {
  auto sim = MakeSim("explode");
  Publish({{"id", "b1"}, {"prompt", "explode"}}, "b1");
  WorkerOptions opts = Options(/*max_tasks=*/0);
  opts.attempt_limit = 4;
  opts.retry_backoff = absl::Seconds(2);
  opts.retry_backoff_max = absl::Seconds(5);
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, opts);
  spy.on_take = [&](const std::optional<queue::Delivery>& d) {
    if (!d.has_value()) w.RequestStop();
  };
  ASSERT_TRUE(w.Run().ok());
  ASSERT_EQ(spy.published.size(), 4u);  // 3 retries + the dead letter
  EXPECT_EQ(spy.published[0].second.delay, absl::Seconds(2));
  EXPECT_EQ(spy.published[1].second.delay, absl::Seconds(4));
  EXPECT_EQ(spy.published[2].second.delay, absl::Seconds(5));  // capped
  EXPECT_EQ(spy.published[3].first, kDeadQueue);
  EXPECT_EQ(spy.published[3].second.delay, absl::ZeroDuration());
}

TEST_F(WorkerDeliveryTest, RefusedPromptIsNotRetried) {
  RefusingModel model("prompt refused by the safety filter");
  Publish({{"id", "x1"}, {"prompt", "something refused"}}, "x1");
  ASSERT_EQ(*RunWorker(model, Options()), 1);
  EXPECT_EQ(stats_.retried, 0);
  EXPECT_EQ(stats_.failed, 1);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("not retried"));
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("prompt refused"));
  EXPECT_EQ(Header(dead[0], queue::kHeaderAttempt), "1");
  EXPECT_EQ(Record("x1")["attempt"], 1);
}

// A message without steps or guidance_scale gets the model's defaults (the
// bundled model's 20 steps and guidance 3, not sd-turbo's 1 and 1.0), and
// the record says what ran.
TEST_F(WorkerDeliveryTest, StepsAndGuidanceLeftOutAreTheModelsDefaults) {
  class DefaultsModel : public inference::TextToImage {
   public:
    absl::Status Load() override { return absl::OkStatus(); }
    absl::StatusOr<inference::Image> Generate(
        const inference::GenerateRequest& r) override {
      seen.push_back({r.steps, r.guidance_scale});
      inference::Image image;
      image.width = r.width;
      image.height = r.height;
      image.pixels.assign(static_cast<size_t>(r.width) * r.height * 3, 0);
      return image;
    }
    std::string ModelName() const override { return "defaults"; }
    inference::GenerationDefaults defaults() const override { return {20, 3}; }
    std::vector<std::pair<int, double>> seen;
  } model;
  Publish({{"id", "d1"}, {"prompt", "p"}, {"width", 64}, {"height", 64}}, "d1");
  Publish({{"id", "d2"},
           {"prompt", "p"},
           {"steps", 4},
           {"guidance_scale", 1.5},
           {"width", 64},
           {"height", 64}},
          "d2");
  ASSERT_EQ(*RunWorker(model, Options()), 1);
  ASSERT_EQ(*RunWorker(model, Options()), 1);
  ASSERT_EQ(model.seen.size(), 2u);
  EXPECT_EQ(model.seen[0], (std::pair<int, double>{20, 3.0}));
  EXPECT_EQ(model.seen[1], (std::pair<int, double>{4, 1.5}));
  EXPECT_EQ(Record("d1")["inference_steps"], 20);
  EXPECT_EQ(Record("d1")["guidance_scale"], 3.0);
}

TEST(AttemptsTest, CountsHeadersRedeliveryAndBrokerDeliveryCount) {
  queue::Delivery d;
  EXPECT_EQ(CountAttempts(d).made, 0);
  d.headers[queue::kHeaderAttempt] = "2";
  EXPECT_EQ(CountAttempts(d).made, 2);
  d.redelivered = true;
  EXPECT_EQ(CountAttempts(d).made, 3);
  EXPECT_EQ(CountAttempts(d).died, 1);
  d.headers[queue::kHeaderDeliveryCount] = "3";
  EXPECT_EQ(CountAttempts(d).made, 5);
  d.headers[queue::kHeaderAttempt] = "junk";
  EXPECT_EQ(CountAttempts(d).made, 3);
}

TEST(AttemptsTest, BackoffDoublesUpToTheCapAndParsesDurations) {
  EXPECT_EQ(RetryDelay(1, absl::Seconds(1), absl::Minutes(1)),
            absl::Seconds(1));
  EXPECT_EQ(RetryDelay(3, absl::Seconds(1), absl::Minutes(1)),
            absl::Seconds(4));
  EXPECT_EQ(RetryDelay(40, absl::Seconds(1), absl::Minutes(1)),
            absl::Minutes(1));
  EXPECT_EQ(RetryDelay(3, absl::ZeroDuration(), absl::Minutes(1)),
            absl::ZeroDuration());
  EXPECT_EQ(*ParseBackoff("X", "250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseBackoff("X", "0"), absl::ZeroDuration());
  EXPECT_FALSE(ParseBackoff("X", "soon").ok());
  EXPECT_FALSE(ParseBackoff("X", "-1s").ok());
}

}  // namespace
}  // namespace ebb::worker
