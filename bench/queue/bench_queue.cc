// SPDX-License-Identifier: Apache-2.0
//
// bench_queue: throughput of ebb's embedded queue (in process, and through the
// HTTP API as `ebb worker` reaches it) against RabbitMQ (RabbitMqQueue, with
// publisher confirms), in the same run:
//   publish/s          one producer, each publish durable before the next
//   take+ack/s x1      one consumer
//   take+ack/s x4      four concurrent consumers (own connections)
// Each figure is the median of --runs runs of --messages messages.
// RabbitMQ: EBB_TEST_AMQP_URL, else a private broker (scripts/rabbitmq.sh);
// --no-rabbitmq skips it.
//
//   bench_queue [--messages N] [--runs R] [--no-rabbitmq]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "http/api_context.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/http/http_message_queue.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"

namespace {

using ebb::queue::MessageQueue;
using Clock = std::chrono::steady_clock;
using Opener = std::function<std::unique_ptr<MessageQueue>()>;

struct Figures {
  double publish = 0, take1 = 0, take4 = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

ebb::queue::OutgoingMessage Message(int i) {
  ebb::queue::OutgoingMessage m;
  m.body =
      absl::StrCat("{\"prompt\":\"a lighthouse at dusk\",\"id\":\"b", i, "\"}");
  m.message_id = absl::StrCat("b", i);
  m.headers["x-ebb-enqueued-at-ms"] = "1";
  return m;
}

// Publishes n messages; returns messages per second (0 on error).
double Publish(MessageQueue& q, const std::string& queue, int n) {
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (absl::Status s = q.Publish(queue, Message(i)); !s.ok()) {
      std::fprintf(stderr, "publish: %s\n", s.ToString().c_str());
      return 0;
    }
  }
  return n / Seconds(start, Clock::now());
}

// `consumers` threads (one connection each) take+ack until n are acked.
double Consume(const Opener& open, const std::string& queue, int n,
               int consumers) {
  std::vector<std::unique_ptr<MessageQueue>> conns;
  for (int i = 0; i < consumers; ++i) conns.push_back(open());
  std::atomic<int> acked{0};
  std::atomic<bool> failed{false};
  Clock::time_point done;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < consumers; ++t) {
    threads.emplace_back([&, t] {
      while (acked.load() < n && !failed.load()) {
        auto d = conns[t]->Take(queue, absl::Milliseconds(500));
        if (!d.ok()) {
          std::fprintf(stderr, "take: %s\n", d.status().ToString().c_str());
          failed = true;
          return;
        }
        if (!d->has_value()) continue;
        if (!conns[t]->Ack(**d).ok()) failed = true;
        if (acked.fetch_add(1) + 1 == n) done = Clock::now();
      }
    });
  }
  for (auto& th : threads) th.join();
  return failed ? 0 : n / Seconds(start, done);
}

Figures Run(const std::string& name, const Opener& open, int n, int runs) {
  std::vector<double> pub, t1, t4;
  auto q = open();
  for (int r = 0; r < runs; ++r) {
    const std::string queue = ebb::testing::UniqueName("bench");
    pub.push_back(Publish(*q, queue, n));
    t1.push_back(Consume(open, queue, n, 1));
    Publish(*q, queue, n);
    t4.push_back(Consume(open, queue, n, 4));
  }
  Figures f{Median(pub), Median(t1), Median(t4)};
  std::printf("%-22s %12.0f %14.0f %14.0f\n", name.c_str(), f.publish, f.take1,
              f.take4);
  std::fflush(stdout);
  return f;
}

// A non-owning MessageQueue view: every "connection" of the in-process queue
// is the same thread-safe EmbeddedQueue.
class Borrowed : public MessageQueue {
 public:
  explicit Borrowed(MessageQueue* q) : q_(q) {}
  absl::Status Publish(const std::string& q,
                       const ebb::queue::OutgoingMessage& m) override {
    return q_->Publish(q, m);
  }
  absl::StatusOr<std::optional<ebb::queue::Delivery>> Take(
      const std::string& q, absl::Duration t) override {
    return q_->Take(q, t);
  }
  absl::Status Ack(const ebb::queue::Delivery& d) override {
    return q_->Ack(d);
  }
  absl::Status Nack(const ebb::queue::Delivery& d, bool r) override {
    return q_->Nack(d, r);
  }
  absl::StatusOr<ebb::queue::QueueDepth> Depth(const std::string& q) override {
    return q_->Depth(q);
  }
  absl::StatusOr<std::vector<ebb::queue::Delivery>> Browse(const std::string& q,
                                                           int max) override {
    return q_->Browse(q, max);
  }
  absl::StatusOr<std::optional<ebb::queue::Delivery>> Get(
      const std::string& q) override {
    return q_->Get(q);
  }

 private:
  MessageQueue* q_;
};

}  // namespace

int main(int argc, char** argv) {
  int n = 1000, runs = 3;
  bool rabbit = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--messages") && i + 1 < argc)
      n = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-rabbitmq"))
      rabbit = false;
    else {
      std::fprintf(
          stderr,
          "usage: bench_queue [--messages N] [--runs R] [--no-rabbitmq]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string dir = ebb::testing::MakeTempDir("bench-queue");
  ebb::queue::embedded::EmbeddedQueueOptions o;
  o.path = dir + "/queue.db";
  auto eq = ebb::queue::embedded::EmbeddedQueue::Open(o);
  if (!eq.ok()) {
    std::fprintf(stderr, "%s\n", eq.status().ToString().c_str());
    return 1;
  }

  // The worker API on a loopback port, as `ebb up` serves it.
  ebb::http::ApiContext ctx;
  ctx.embedded_queue = eq->get();
  ctx.token = "bench-token";
  httplib::Server server;
  server.set_tcp_nodelay(true);
  ebb::http::RegisterQueueRoutes(server, ctx);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serve([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  std::printf("messages %d, runs %d (median); messages/s\n", n, runs);
  std::printf("%-22s %12s %14s %14s\n", "queue", "publish", "take+ack x1",
              "take+ack x4");
  Figures emb = Run(
      "embedded", [&] { return std::make_unique<Borrowed>(eq->get()); }, n,
      runs);
  Figures http = Run(
      "embedded via HTTP",
      [&]() -> std::unique_ptr<MessageQueue> {
        ebb::queue::HttpQueueOptions h;
        h.base_url = absl::StrCat("http://127.0.0.1:", port);
        h.token = "bench-token";
        return std::move(*ebb::queue::HttpMessageQueue::Create(h));
      },
      n, runs);
  if (rabbit) {
    const std::string url = ebb::testing::TestAmqpUrl();
    Figures rmq = Run(
        "rabbitmq",
        [&]() -> std::unique_ptr<MessageQueue> {
          ebb::queue::RabbitMqOptions r;
          r.url = url;
          auto c = ebb::queue::RabbitMqQueue::Connect(r);
          if (!c.ok()) {
            std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
            std::exit(1);
          }
          return std::move(*c);
        },
        n, runs);
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
    std::printf("%-22s %11.2fx %13.2fx %13.2fx\n", "embedded / rabbitmq",
                ratio(emb.publish, rmq.publish), ratio(emb.take1, rmq.take1),
                ratio(emb.take4, rmq.take4));
    std::printf("%-22s %11.2fx %13.2fx %13.2fx\n", "HTTP / rabbitmq",
                ratio(http.publish, rmq.publish), ratio(http.take1, rmq.take1),
                ratio(http.take4, rmq.take4));
  }
  server.stop();
  serve.join();
  eq->reset();  // close the database before removing its directory
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
