// SPDX-License-Identifier: Apache-2.0
//
// File: worker/worker_test_util.h
//
// Shared fixture for the Worker tests: a FakeMessageQueue, an
// InMemoryObjectStore, a SimTextToImage whose simulated time advances a
// FakeClock, and helpers to publish tasks and read records. Test-only.
#ifndef EBB_WORKER_WORKER_TEST_UTIL_H_
#define EBB_WORKER_WORKER_TEST_UTIL_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "inference/sim/sim_text_to_image.h"
#include "nlohmann/json.hpp"
#include "queue/fake_message_queue.h"
#include "storage/testing/in_memory_object_store.h"
#include "worker/worker.h"

namespace ebb::worker {

// A model whose every Generate is refused with InvalidArgument(`why`): the
// worker fails the request for good (no retry).
class RefusingModel : public inference::TextToImage {
 public:
  explicit RefusingModel(std::string why = "prompt refused")
      : why_(std::move(why)) {}
  absl::Status Load() override { return absl::OkStatus(); }
  absl::StatusOr<inference::Image> Generate(
      const inference::GenerateRequest&) override {
    return absl::InvalidArgumentError(why_);
  }
  std::string ModelName() const override { return "refusing"; }

 private:
  std::string why_;
};

// Forwards to another queue, recording publishes and calling `on_take` after
// every Take (on the caller's thread) so tests can act at exact points.
class SpyQueue : public queue::MessageQueue {
 public:
  explicit SpyQueue(queue::MessageQueue& base) : base_(base) {}
  absl::Status Publish(const std::string& q,
                       const queue::OutgoingMessage& m) override {
    absl::Status s = base_.Publish(q, m);
    if (s.ok()) published.emplace_back(q, m);
    return s;
  }
  absl::StatusOr<std::optional<queue::Delivery>> Take(
      const std::string& q, absl::Duration timeout) override {
    auto d = base_.Take(q, timeout);
    if (d.ok() && on_take) on_take(*d);
    return d;
  }
  absl::Status Ack(const queue::Delivery& d) override { return base_.Ack(d); }
  absl::Status Nack(const queue::Delivery& d, bool requeue) override {
    return base_.Nack(d, requeue);
  }
  absl::StatusOr<queue::QueueDepth> Depth(const std::string& q) override {
    return base_.Depth(q);
  }
  absl::StatusOr<std::vector<queue::Delivery>> Browse(const std::string& q,
                                                      int max) override {
    return base_.Browse(q, max);
  }
  absl::StatusOr<std::optional<queue::Delivery>> Get(
      const std::string& q) override {
    return base_.Get(q);
  }

  std::vector<std::pair<std::string, queue::OutgoingMessage>> published;
  std::function<void(const std::optional<queue::Delivery>&)> on_take;

 private:
  queue::MessageQueue& base_;
};

class WorkerTestBase : public ::testing::Test {
 protected:
  static constexpr char kQueue[] = "tasks";
  static constexpr char kDeadQueue[] = "tasks.dead";

  // A loaded-on-Run sim whose simulated time advances `clock_`.
  std::unique_ptr<inference::SimTextToImage> MakeSim(
      std::string fail_pattern = "", int64_t load_ms = 1000,
      int64_t inference_ms = 250) {
    inference::SimOptions o;
    o.load_ms = load_ms;
    o.inference_ms = inference_ms;
    o.fail_pattern = std::move(fail_pattern);
    o.sleep = [this](absl::Duration d) { clock_.Advance(d); };
    auto sim = inference::SimTextToImage::Create(std::move(o));
    EXPECT_TRUE(sim.ok()) << sim.status();
    return std::move(*sim);
  }

  WorkerOptions Options(int max_tasks = 1) {
    WorkerOptions o;
    o.queue = kQueue;
    o.take_timeout = absl::Milliseconds(1);
    o.stop_check_interval = absl::Milliseconds(1);
    o.worker_name = "test-worker";
    o.max_tasks = max_tasks;
    // No progress objects or marker checks while a request runs, unless a
    // test asks (worker_control_test.cc): the store sees only results.
    o.control_interval = absl::Hours(1);
    return o;
  }

  void Publish(const nlohmann::json& body, std::string message_id = "",
               std::map<std::string, std::string> headers = {}) {
    PublishRaw(body.dump(), std::move(message_id), std::move(headers));
  }
  void PublishRaw(std::string body, std::string message_id = "",
                  std::map<std::string, std::string> headers = {}) {
    queue::OutgoingMessage m;
    m.body = std::move(body);
    m.message_id = std::move(message_id);
    m.headers = std::move(headers);
    ASSERT_TRUE(mq_.Publish(kQueue, m).ok());
  }

  // Runs a Worker over `store` (default: store_) with `sim`.
  absl::StatusOr<int> RunWorker(inference::TextToImage& sim,
                                WorkerOptions options,
                                storage::ObjectStore* store = nullptr) {
    Worker w(mq_, store != nullptr ? *store : store_, sim, clock_,
             std::move(options));
    absl::StatusOr<int> n = w.Run();
    stats_ = w.stats();
    return n;
  }

  nlohmann::json Record(const std::string& id) {
    auto body = store_.Get(id + ".json");
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? nlohmann::json::parse(*body) : nlohmann::json();
  }

  std::string Header(const queue::Delivery& d, const char* name) {
    auto it = d.headers.find(name);
    return it == d.headers.end() ? "" : it->second;
  }

  FakeClock clock_;
  queue::FakeMessageQueue mq_;
  storage::InMemoryObjectStore store_{&clock_};
  WorkerStats stats_;
};

}  // namespace ebb::worker

#endif  // EBB_WORKER_WORKER_TEST_UTIL_H_
