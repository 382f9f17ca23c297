// SPDX-License-Identifier: Apache-2.0
// Worker: a stop requested during inference hands the request back (no
// attempt used) unless it finishes within finish_within.
#include <gtest/gtest.h>

#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

class WorkerStopTest : public WorkerTestBase {
 protected:
  // A sim taking `steps` steps of one (fake) second per image, which asks
  // the worker to stop after `stop_after` of them.
  std::unique_ptr<inference::SimTextToImage> SlowSim(int steps,
                                                     int stop_after) {
    inference::SimOptions o;
    o.inference_ms = int64_t{steps} * 1000;
    o.sleep = [this, stop_after](absl::Duration d) {
      clock_.Advance(d);
      if (++sleeps_ == stop_after && worker_ != nullptr) {
        worker_->RequestStop();
      }
    };
    auto sim = inference::SimTextToImage::Create(std::move(o));
    EXPECT_TRUE(sim.ok()) << sim.status();
    return std::move(*sim);
  }

  absl::StatusOr<int> RunStoppable(inference::TextToImage& sim,
                                   WorkerOptions options) {
    Worker w(mq_, store_, sim, clock_, std::move(options));
    worker_ = &w;
    absl::StatusOr<int> n = w.Run();
    worker_ = nullptr;
    stats_ = w.stats();
    return n;
  }

  int sleeps_ = 0;
  Worker* worker_ = nullptr;
};

TEST_F(WorkerStopTest, StopMidInferenceHandsTheRequestBackWithoutAnAttempt) {
  auto slow = SlowSim(60, 3);
  Publish({{"id", "s1"}, {"prompt", "a heron"}, {"steps", 60}}, "s1");
  WorkerOptions o = Options();
  o.finish_within = absl::Seconds(5);
  auto n = RunStoppable(*slow, o);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(stats_.handed_back, 1);
  EXPECT_EQ(sleeps_, 3);  // stopped at the step after the request
  EXPECT_FALSE(store_.Get("s1.json").ok());
  auto ready = mq_.ReadyMessages(kQueue);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_FALSE(ready[0].redelivered);
  EXPECT_EQ(Header(ready[0], queue::kHeaderAttempt), "");
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);

  // The next worker does it once, as attempt 1.
  auto fast = MakeSim();
  ASSERT_EQ(*RunWorker(*fast, Options()), 1);
  EXPECT_EQ(stats_.done, 1);
  nlohmann::json r = Record("s1");
  EXPECT_EQ(r["status"], "done");
  EXPECT_EQ(r["attempt"], 1);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 0);
}

TEST_F(WorkerStopTest, StopNearTheEndFinishesTheRequest) {
  auto slow = SlowSim(10, 7);  // 3 s left when the stop is seen
  Publish({{"id", "s2"}, {"prompt", "a heron"}, {"steps", 10}}, "s2");
  WorkerOptions o = Options();
  o.finish_within = absl::Seconds(5);
  ASSERT_EQ(*RunStoppable(*slow, o), 1);
  EXPECT_EQ(stats_.done, 1);
  EXPECT_EQ(stats_.handed_back, 0);
  EXPECT_EQ(sleeps_, 10);
  EXPECT_EQ(Record("s2")["status"], "done");
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
}

TEST_F(WorkerStopTest, LaterImagesCountTowardsWhatIsLeft) {
  // Stop seen at step 9 of 10 of the first of 2 images: 11 s left.
  auto slow = SlowSim(10, 9);
  Publish({{"id", "s3"}, {"prompt", "a heron"}, {"steps", 10}, {"count", 2}},
          "s3");
  WorkerOptions o = Options();
  o.finish_within = absl::Seconds(5);
  ASSERT_TRUE(RunStoppable(*slow, o).ok());
  EXPECT_EQ(stats_.handed_back, 1);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 1);
}

}  // namespace
}  // namespace ebb::worker
