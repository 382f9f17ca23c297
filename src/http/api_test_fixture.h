// SPDX-License-Identifier: Apache-2.0
//
// File: http/api_test_fixture.h
//
// Test-only: an in-process ApiServer on a free loopback port with fakes behind
// it (a Controller over one ScaledJob "sd" with a fixed-metric scaler,
// FakeExecutor, InMemoryObjectStore, FakeMessageQueue, EventHub). Shared by the
// api_*_test.cc files.
#ifndef EBB_HTTP_API_TEST_FIXTURE_H_
#define EBB_HTTP_API_TEST_FIXTURE_H_

#include <httplib.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "controller/controller.h"
#include "executors/fake_executor.h"
#include "gtest/gtest.h"
#include "http/api_server.h"
#include "http/events.h"
#include "queue/fake_message_queue.h"
#include "scalers/testing/fake_scaler.h"
#include "storage/testing/in_memory_object_store.h"

namespace ebb::http::testing {

inline constexpr char kToken[] = "test-token-123";

// A MessageQueue that forwards to a shared FakeMessageQueue (open_queue hands
// out owned connections; the test keeps the broker).
class ForwardingQueue : public queue::MessageQueue {
 public:
  explicit ForwardingQueue(queue::MessageQueue& base) : base_(base) {}
  absl::Status Publish(const std::string& q,
                       const queue::OutgoingMessage& m) override {
    return base_.Publish(q, m);
  }
  absl::StatusOr<std::optional<queue::Delivery>> Take(
      const std::string& q, absl::Duration t) override {
    return base_.Take(q, t);
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

 private:
  queue::MessageQueue& base_;
};

// InMemoryObjectStore that counts Gets (the gallery's cache must avoid
// re-reads).
class CountingStore : public storage::InMemoryObjectStore {
 public:
  absl::StatusOr<std::string> Get(const std::string& key) override {
    gets_.fetch_add(1);
    return InMemoryObjectStore::Get(key);
  }
  int gets() const { return gets_.load(); }

 private:
  std::atomic<int> gets_{0};
};

struct HarnessOptions {
  bool public_reads = false;
  bool public_metrics = false;
  bool with_store = true;
  bool with_events = true;
  bool with_queue = true;
  int sse_keepalive_ms = 15000;
  std::string cors_origin;
  // Real implementations instead of the fakes (filesystem route tests).
  executors::Executor* executor = nullptr;  // null: executor_
  storage::ObjectStore* store = nullptr;    // null: store_
  std::string web_root;
  nlohmann::json model_info;  // GET /api/v1/model; null = 404
  queue::embedded::EmbeddedQueue* embedded_queue = nullptr;  // single-node
};

class ApiTest : public ::testing::Test {
 protected:
  std::atomic<double> zero_{0};  // the fake trigger's queue: always empty
  void StartServer(HarnessOptions o = {}) {
    registry_.Register(
        std::make_unique<scalers::FakeQueueScalerFactory>(&zero_));
    auto m = std::make_shared<spec::Manifests>();
    spec::ScaledJob job;
    job.name = "sd";
    job.polling_interval = 3600;
    job.max_replica_count = 4;
    spec::Container c;
    c.name = "worker";
    c.command = {"/bin/true"};
    job.job_target_ref.template_.containers.push_back(c);
    spec::ScaleTrigger t;
    t.type = "q";
    t.metadata["queueName"] = "tasks";
    job.triggers.push_back(t);
    m->scaled_jobs.push_back(job);
    auto created = controller::Controller::Create(
        m, registry_, o.executor ? *o.executor : executor_, metrics_, {});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    controller_ = std::move(*created);

    ApiContext ctx;
    ctx.controller = controller_.get();
    ctx.executor = o.executor ? o.executor : &executor_;
    ctx.metrics = &metrics_;
    ctx.store = !o.with_store ? nullptr : o.store ? o.store : &store_;
    ctx.web_root = o.web_root;
    ctx.model_info = o.model_info;
    ctx.embedded_queue = o.embedded_queue;
    ctx.events = o.with_events ? &hub_ : nullptr;
    ctx.token = kToken;
    ctx.public_reads = o.public_reads;
    ctx.public_metrics = o.public_metrics;
    ctx.sse_keepalive_ms = o.sse_keepalive_ms;
    ctx.cors_origin = o.cors_origin;
    if (o.with_queue) {
      ctx.open_queue =
          [this]() -> absl::StatusOr<std::unique_ptr<queue::MessageQueue>> {
        return std::unique_ptr<queue::MessageQueue>(
            new ForwardingQueue(broker_));
      };
    }
    ctx.submit = [](const nlohmann::json& body)
        -> absl::StatusOr<std::vector<std::string>> {
      if (!body.contains("prompt") || !body["prompt"].is_string() ||
          body["prompt"].get<std::string>().empty()) {
        return absl::InvalidArgumentError("prompt: must be 1-2000 bytes");
      }
      const int count = body.value("count", 1);
      if (count < 1 || count > 4)
        return absl::InvalidArgumentError("count: must be 1-4");
      std::vector<std::string> ids;
      for (int i = 1; i <= count; ++i)
        ids.push_back("req-" + std::to_string(i));
      return ids;
    };
    server_ = std::make_unique<ApiServer>(std::move(ctx),
                                          ApiServerOptions{"127.0.0.1", 0});
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    hub_.Close();
    if (server_) server_->Stop();
    if (controller_) controller_->Stop();
  }

  std::unique_ptr<httplib::Client> Client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(10, 0);
    c->set_connection_timeout(5, 0);
    return c;
  }
  static httplib::Headers Bearer() {
    return {{"Authorization", std::string("Bearer ") + kToken}};
  }
  httplib::Result GetAuthed(const std::string& path) {
    return Client()->Get(path, Bearer());
  }
  httplib::Result PostAuthed(const std::string& path, const std::string& body) {
    return Client()->Post(path, Bearer(), body, "application/json");
  }
  static nlohmann::json Body(const httplib::Result& r) {
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  scalers::ScalerRegistry registry_;
  executors::FakeExecutor executor_;
  metrics::Registry metrics_;
  CountingStore store_;
  queue::FakeMessageQueue broker_;
  EventHub hub_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<ApiServer> server_;
};

}  // namespace ebb::http::testing

#endif  // EBB_HTTP_API_TEST_FIXTURE_H_
