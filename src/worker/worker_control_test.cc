// SPDX-License-Identifier: Apache-2.0
// Worker: progress reports, and requests cancelled or deleted through the API
// (worker/control.h): dropped when taken, stopped between steps when running,
// never requeued, and a deleted result is never stored back.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "worker/control.h"
#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

// Counts Heads of each key; runs `on_put` before each Put.
class SpyStore : public storage::InMemoryObjectStore {
 public:
  explicit SpyStore(Clock* clock) : InMemoryObjectStore(clock) {}
  absl::StatusOr<storage::ObjectInfo> Head(const std::string& key) override {
    auto r = InMemoryObjectStore::Head(key);
    std::lock_guard<std::mutex> lock(mu_);
    ++heads_[key];
    return r;
  }
  absl::Status Put(const std::string& key, std::string_view data,
                   const std::string& content_type) override {
    if (on_put) on_put(key, data);
    return InMemoryObjectStore::Put(key, data, content_type);
  }
  std::string Summary() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& [k, n] : heads_) out += k + "=" + std::to_string(n) + " ";
    return out;
  }
  int heads(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_[key];
  }
  std::function<void(const std::string&, std::string_view)> on_put;

 private:
  std::mutex mu_;
  std::map<std::string, int> heads_;
};

class WorkerControlTest : public WorkerTestBase {
 protected:
  // A sim of `steps` (fake) one-second steps per image that calls
  // `at_step(k)` during step k.
  std::unique_ptr<inference::SimTextToImage> SlowSim(
      int steps, std::function<void(int)> at_step) {
    inference::SimOptions o;
    o.inference_ms = int64_t{steps} * 1000;
    o.sleep = [this, at_step](absl::Duration d) {
      clock_.Advance(d);
      at_step(++sleeps_);
    };
    auto sim = inference::SimTextToImage::Create(std::move(o));
    EXPECT_TRUE(sim.ok()) << sim.status();
    return std::move(*sim);
  }
  WorkerOptions Fast() {
    WorkerOptions o = Options();
    o.control_interval = absl::Milliseconds(1);
    return o;
  }
  // Waits (10 s at most) until the monitor has begun two more polls after
  // now, so that a marker stored before the call has been seen. `other` is
  // the key of the marker not stored (the monitor stops looking for one it
  // has seen).
  void WaitForTwoPolls(const std::string& other) {
    const int start = spy_.heads(other);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (spy_.heads(other) < start + 2 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_GE(spy_.heads(other), start + 2)
        << "monitor never polled; heads: " << spy_.Summary();
  }
  void Mark(const std::string& key) {
    ASSERT_TRUE(spy_.Put(key, "{}", "application/json").ok());
  }

  SpyStore spy_{&clock_};
  int sleeps_ = 0;
};

TEST_F(WorkerControlTest, CancelledQueuedRequestIsAckedAndRecordedCancelled) {
  auto sim = MakeSim();
  Mark(CancelKey("c1"));
  Publish({{"id", "c1"}, {"prompt", "a heron"}}, "c1");
  auto n = RunWorker(*sim, Options(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.cancelled, 1);
  EXPECT_EQ(stats_.done, 0);
  auto rec = spy_.Get("c1.json");
  ASSERT_TRUE(rec.ok());
  auto j = nlohmann::json::parse(*rec);
  EXPECT_EQ(j["status"], "cancelled");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["images"].empty());
  EXPECT_TRUE(mq_.ReadyMessages(kQueue).empty());  // not requeued
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_FALSE(spy_.Head("c1-1.png").ok());
}

TEST_F(WorkerControlTest, DeletedRequestIsDroppedWithoutStoringAnything) {
  auto sim = MakeSim();
  Mark(TombstoneKey("d1"));
  // A late redelivery of a request deleted after it finished.
  Publish({{"id", "d1"}, {"prompt", "a heron"}}, "d1");
  auto n = RunWorker(*sim, Options(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.deleted, 1);
  EXPECT_FALSE(spy_.Head("d1.json").ok());
  EXPECT_FALSE(spy_.Head("d1-1.png").ok());
  EXPECT_FALSE(spy_.Head(ProgressKey("d1")).ok());
  EXPECT_TRUE(mq_.ReadyMessages(kQueue).empty());
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
}

TEST_F(WorkerControlTest, RunningRequestReportsItsSteps) {
  std::optional<Progress> seen;
  auto sim = SlowSim(8, [&](int step) {
    if (step != 5) return;
    // Step 4 was reported; wait until the monitor has written it.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      auto text = spy_.Get(ProgressKey("p1"));
      if (text.ok()) seen = ParseProgress(*text);
      if (seen && seen->step == 4) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  Publish({{"id", "p1"}, {"prompt", "a heron"}, {"steps", 8}}, "p1");
  auto n = RunWorker(*sim, Fast(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->step, 4);
  EXPECT_EQ(seen->steps, 8);
  EXPECT_EQ(seen->image, 1);
  EXPECT_EQ(seen->images, 1);
  EXPECT_EQ(seen->worker, "test-worker");
  EXPECT_EQ(stats_.done, 1);
  // Gone once the record is stored.
  EXPECT_FALSE(spy_.Head(ProgressKey("p1")).ok());
}

TEST_F(WorkerControlTest, RunningRequestCancelledStopsBetweenStepsNotRequeued) {
  auto sim = SlowSim(20, [&](int step) {
    if (step != 3) return;
    Mark(CancelKey("r1"));
    WaitForTwoPolls(TombstoneKey("r1"));
  });
  Publish({{"id", "r1"}, {"prompt", "a heron"}, {"steps", 20}, {"count", 2}},
          "r1");
  auto n = RunWorker(*sim, Fast(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(sleeps_, 3);  // stopped after the step that saw the marker
  EXPECT_EQ(stats_.cancelled, 1);
  EXPECT_EQ(stats_.handed_back, 0);
  auto j = nlohmann::json::parse(*spy_.Get("r1.json"));
  EXPECT_EQ(j["status"], "cancelled");
  EXPECT_TRUE(mq_.ReadyMessages(kQueue).empty());
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_FALSE(spy_.Head(ProgressKey("r1")).ok());
}

TEST_F(WorkerControlTest, RunningRequestDeletedRemovesTheImagesItStored) {
  // Two images: the tombstone appears during the second one.
  auto sim = SlowSim(4, [&](int step) {
    if (step != 6) return;
    Mark(TombstoneKey("x1"));
    WaitForTwoPolls(CancelKey("x1"));
  });
  Publish({{"id", "x1"}, {"prompt", "a heron"}, {"steps", 4}, {"count", 2}},
          "x1");
  auto n = RunWorker(*sim, Fast(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.deleted, 1);
  EXPECT_FALSE(spy_.Head("x1-1.png").ok());
  EXPECT_FALSE(spy_.Head("x1.json").ok());
  EXPECT_TRUE(mq_.ReadyMessages(kQueue).empty());
}

TEST_F(WorkerControlTest, DeleteRacingTheRecordNeverLeavesTheResult) {
  auto sim = MakeSim();
  // The DELETE lands just before the worker stores the record.
  bool raced = false;
  spy_.on_put = [this, &raced](const std::string& key, std::string_view) {
    if (key == "y1.json" && !raced) {
      raced = true;
      Mark(TombstoneKey("y1"));
    }
  };
  Publish({{"id", "y1"}, {"prompt", "a heron"}}, "y1");
  auto n = RunWorker(*sim, Options(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.deleted, 1);
  EXPECT_FALSE(spy_.Head("y1.json").ok());
  EXPECT_FALSE(spy_.Head("y1-1.png").ok());
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
}

// The same race with a request that fails for good: the failed record does
// not stay either, and the deleted request is not dead-lettered.
TEST_F(WorkerControlTest, DeleteRacingAFailedRecordNeverLeavesIt) {
  RefusingModel model;
  spy_.on_put = [this](const std::string& key, std::string_view) {
    if (key == "f1.json") Mark(TombstoneKey("f1"));
  };
  Publish({{"id", "f1"}, {"prompt", "a heron"}}, "f1");
  auto n = RunWorker(model, Options(), &spy_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(stats_.deleted, 1);
  EXPECT_EQ(stats_.failed, 0);
  EXPECT_FALSE(spy_.Head("f1.json").ok());
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_EQ(mq_.ReadyCount(kDeadQueue), 0);
}

}  // namespace
}  // namespace ebb::worker
