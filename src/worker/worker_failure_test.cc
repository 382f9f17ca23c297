// SPDX-License-Identifier: Apache-2.0
// Worker: invalid messages, retries, redeliveries, attempt limits and
// failing stores or brokers.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class WorkerFailureTest : public WorkerTestBase {};

TEST_F(WorkerFailureTest, MalformedBodyIsDeadLetteredWithTheReason) {
  auto sim = MakeSim();
  PublishRaw("this is not json");
  auto n = RunWorker(*sim, Options());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);  // not a task; the queue then stayed empty
  EXPECT_EQ(stats_.invalid, 1);
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].body, "this is not json");
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("not valid JSON"));
  EXPECT_EQ(Header(dead[0], queue::kHeaderOriginalQueue), kQueue);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_THAT(store_.Keys(), IsEmpty());
}

TEST_F(WorkerFailureTest, InvalidTaskWithAnIdGetsAFailedRecordToo) {
  auto sim = MakeSim();
  Publish({{"id", "bad1"}, {"prompt", "p"}, {"count", 9}}, "bad1");
  Publish({{"id", "ok1"}, {"prompt", "p"}, {"width", 64}, {"height", 64}});
  auto n = RunWorker(*sim, Options());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);  // kept taking after the invalid one
  nlohmann::json r = Record("bad1");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_THAT(r["error"].get<std::string>(), HasSubstr("count 9 out of range"));
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 1);
  EXPECT_EQ(Record("ok1")["status"], "done");
}

TEST_F(WorkerFailureTest, InvalidCopyNeverOverwritesADoneRecord) {
  auto sim = MakeSim();
  Publish({{"id", "d9"}, {"prompt", "p"}, {"width", 64}, {"height", 64}});
  Publish({{"id", "d9"}, {"prompt", ""}});
  ASSERT_EQ(*RunWorker(*sim, Options(/*max_tasks=*/2)), 1);
  EXPECT_EQ(Record("d9")["status"], "done");
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 1);
}

TEST_F(WorkerFailureTest, FailingPromptExhaustsAttemptsThenDeadLetters) {
  auto sim = MakeSim("explode");
  Publish({{"id", "f1"}, {"prompt", "please explode"}}, "f1");
  WorkerOptions opts = Options(/*max_tasks=*/0);
  opts.attempt_limit = 3;
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, opts);
  spy.on_take = [&](const std::optional<queue::Delivery>& d) {
    if (!d.has_value()) w.RequestStop();
  };
  auto n = w.Run();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(w.stats().retried, 2);
  EXPECT_EQ(w.stats().failed, 1);
  // Two retries were republished with growing attempt counts.
  ASSERT_EQ(spy.published.size(), 3u);  // 2 retries + 1 dead letter
  EXPECT_EQ(spy.published[0].second.headers.at(queue::kHeaderAttempt), "1");
  EXPECT_THAT(spy.published[0].second.headers.at(queue::kHeaderLastError),
              HasSubstr("simulated failure"));
  EXPECT_EQ(spy.published[1].second.headers.at(queue::kHeaderAttempt), "2");
  auto dead = mq_.ReadyMessages(kDeadQueue);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("gave up after 3 attempt(s)"));
  EXPECT_THAT(Header(dead[0], queue::kHeaderDeadReason),
              HasSubstr("simulated failure"));
  nlohmann::json r = Record("f1");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["attempt"], 3);
  EXPECT_THAT(r["error"].get<std::string>(), HasSubstr("simulated failure"));
  EXPECT_EQ(r["images"], nlohmann::json::array());
  EXPECT_THAT(store_.Keys(), ElementsAre("f1.json"));
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
}

TEST_F(WorkerFailureTest, JobModeMakesOneAttemptAndHandsTheRetryBack) {
  auto sim = MakeSim("explode");
  Publish({{"id", "f2"}, {"prompt", "explode"}}, "f2");
  auto n = RunWorker(*sim, Options());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(stats_.retried, 1);
  auto ready = mq_.ReadyMessages(kQueue);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(Header(ready[0], queue::kHeaderAttempt), "1");
  EXPECT_FALSE(store_.Get("f2.json").ok());  // not finished yet
}

TEST_F(WorkerFailureTest, MessageArrivingAtTheLimitFailsWithItsLastError) {
  auto sim = MakeSim();
  Publish({{"id", "f3"}, {"prompt", "p"}}, "f3",
          {{queue::kHeaderAttempt, "5"}, {queue::kHeaderLastError, "oom"}});
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  nlohmann::json r = Record("f3");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["attempt"], 5);
  EXPECT_THAT(r["error"].get<std::string>(), HasSubstr("last error: oom"));
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 1);
}

TEST_F(WorkerFailureTest, RedeliveryCountsAnAttempt) {
  auto sim = MakeSim();
  Publish({{"id", "r2"}, {"prompt", "p"}, {"width", 64}, {"height", 64}}, "r2");
  // A previous holder took it and died.
  ASSERT_TRUE(mq_.Take(kQueue, absl::ZeroDuration())->has_value());
  mq_.SimulateConnectionLoss();
  ASSERT_TRUE(mq_.ReadyMessages(kQueue)[0].redelivered);
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, Options());
  auto n = w.Run();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(w.stats().redelivered, 1);
  ASSERT_EQ(spy.published.size(), 1u);
  EXPECT_EQ(spy.published[0].second.headers.at(queue::kHeaderAttempt), "1");
  EXPECT_EQ(spy.published[0].second.headers.at(queue::kHeaderLastError),
            "worker died while processing (redelivered)");
  nlohmann::json r = Record("r2");
  EXPECT_EQ(r["status"], "done");
  EXPECT_EQ(r["attempt"], 2);
}

TEST_F(WorkerFailureTest, RedeliveryAtTheLimitFailsForGood) {
  auto sim = MakeSim();
  Publish({{"id", "r3"}, {"prompt", "p"}}, "r3",
          {{queue::kHeaderAttempt, "4"}});
  ASSERT_TRUE(mq_.Take(kQueue, absl::ZeroDuration())->has_value());
  mq_.SimulateConnectionLoss();
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  nlohmann::json r = Record("r3");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["attempt"], 5);
  EXPECT_THAT(r["error"].get<std::string>(), HasSubstr("worker died"));
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 1);
}

TEST_F(WorkerFailureTest, FlakyStoreIsRetriedThenDone) {
  auto sim = MakeSim();
  storage::FlakyObjectStore flaky(store_);
  flaky.FailNextPuts(1);
  Publish({{"id", "k1"},
           {"prompt", "p"},
           {"count", 2},
           {"width", 64},
           {"height", 64}},
          "k1");
  auto n = RunWorker(*sim, Options(/*max_tasks=*/2), &flaky);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(stats_.retried, 1);
  EXPECT_EQ(stats_.done, 1);
  nlohmann::json r = Record("k1");
  EXPECT_EQ(r["status"], "done");
  EXPECT_EQ(r["attempt"], 2);
  EXPECT_THAT(store_.Keys(), ElementsAre("k1-1.png", "k1-2.png", "k1.json"));
}

TEST_F(WorkerFailureTest, RecordIsWrittenLastAndTheAckWaitsForIt) {
  auto sim = MakeSim();
  storage::FlakyObjectStore flaky(store_);
  flaky.FailPutsContaining(".json");
  Publish({{"id", "w1"},
           {"prompt", "p"},
           {"count", 3},
           {"width", 64},
           {"height", 64}},
          "w1");
  ASSERT_EQ(*RunWorker(*sim, Options(), &flaky), 1);
  // Images stored in order, the record refused: the request is not finished
  // and its message is back in the queue for another attempt.
  EXPECT_THAT(store_.PutLog(), ElementsAre("w1-1.png", "w1-2.png", "w1-3.png"));
  auto ready = mq_.ReadyMessages(kQueue);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(Header(ready[0], queue::kHeaderAttempt), "1");
  EXPECT_THAT(Header(ready[0], queue::kHeaderLastError),
              HasSubstr("while storing the record"));
  flaky.FailPutsContaining("");
  ASSERT_EQ(*RunWorker(*sim, Options(), &flaky), 1);
  EXPECT_THAT(store_.PutLog(),
              ElementsAre("w1-1.png", "w1-2.png", "w1-3.png", "w1-1.png",
                          "w1-2.png", "w1-3.png", "w1.json"));
}

TEST_F(WorkerFailureTest, UnservedModelFailsAtOnce) {
  auto sim = MakeSim();
  Publish({{"id", "m1"}, {"prompt", "p"}, {"model", "sdxl"}}, "m1");
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  nlohmann::json r = Record("m1");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_THAT(r["error"].get<std::string>(),
              HasSubstr("model \"sdxl\" is not served"));
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 1);
}

TEST_F(WorkerFailureTest, BrokerDownIsAnError) {
  auto sim = MakeSim();
  mq_.SetUnavailable(true);
  auto n = RunWorker(*sim, Options());
  EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
}

TEST_F(WorkerFailureTest, FailedRepublishGivesTheMessageBack) {
  auto sim = MakeSim("explode");
  Publish({{"id", "p1"}, {"prompt", "explode"}}, "p1");
  mq_.FailNextPublish();
  auto n = RunWorker(*sim, Options());
  EXPECT_TRUE(absl::IsUnavailable(n.status())) << n.status();
  auto ready = mq_.ReadyMessages(kQueue);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_TRUE(ready[0].redelivered);  // nacked with requeue
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
}

TEST_F(WorkerFailureTest, LoadFailureIsReturned) {
  class BrokenModel : public inference::TextToImage {
   public:
    absl::Status Load() override { return absl::NotFoundError("no weights"); }
    absl::StatusOr<inference::Image> Generate(
        const inference::GenerateRequest&) override {
      return absl::InternalError("unreachable");
    }
    std::string ModelName() const override { return "broken"; }
  } model;
  bool ready = false;
  WorkerOptions opts = Options();
  opts.on_ready = [&] { ready = true; };
  auto n = RunWorker(model, opts);
  EXPECT_TRUE(absl::IsNotFound(n.status()));
  EXPECT_THAT(n.status().message(), HasSubstr("while loading the model"));
  EXPECT_FALSE(ready);
}

}  // namespace
}  // namespace ebb::worker
