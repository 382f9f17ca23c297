// SPDX-License-Identifier: Apache-2.0
#include "cli/up_events.h"

#include <optional>

#include "cli/wiring.h"
#include "http/api_server.h"
#include "http/results_watcher.h"
#include "worker/control.h"

namespace ebb::cli {
namespace {

using queue::embedded::QueueEvent;

// A MessageQueue that forwards to one it does not own.
class BorrowedQueue : public queue::MessageQueue {
 public:
  explicit BorrowedQueue(queue::MessageQueue& q) : q_(q) {}
  absl::Status Publish(const std::string& queue,
                       const queue::OutgoingMessage& m) override {
    return q_.Publish(queue, m);
  }
  absl::StatusOr<std::optional<queue::Delivery>> Take(
      const std::string& queue, absl::Duration timeout) override {
    return q_.Take(queue, timeout);
  }
  absl::Status Ack(const queue::Delivery& d) override { return q_.Ack(d); }
  absl::Status Nack(const queue::Delivery& d, bool requeue) override {
    return q_.Nack(d, requeue);
  }
  absl::StatusOr<queue::QueueDepth> Depth(const std::string& queue) override {
    return q_.Depth(queue);
  }
  absl::StatusOr<std::vector<queue::Delivery>> Browse(const std::string& queue,
                                                      int max) override {
    return q_.Browse(queue, max);
  }
  absl::StatusOr<std::optional<queue::Delivery>> Get(
      const std::string& queue) override {
    return q_.Get(queue);
  }

 private:
  queue::MessageQueue& q_;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The request event for an acked message, from the worker's record (status
// done or failed, attempt, error); nullopt when there is no record: the ack was
// of a copy the worker republished (an id assigned, a retry), not an ending.
std::optional<nlohmann::json> FinishedEvent(storage::ObjectStore& store,
                                            const std::string& id) {
  auto text = store.Get(id + ".json");
  if (!text.ok()) return std::nullopt;
  return http::RequestEventFromRecord(id, *text);
}

}  // namespace

void PublishDecision(http::EventHub& hub, const std::string& scaled_job,
                     const controller::PollRecord& record) {
  nlohmann::json data = http::ToJson(record);
  data["scaledJob"] = scaled_job;
  hub.Publish("decision", std::move(data));
}

std::function<void(const QueueEvent&)> QueueEventForwarder(
    http::EventHub& hub, controller::Controller& controller,
    queue::embedded::EmbeddedQueue& q, storage::ObjectStore& store,
    std::function<void()> on_finished) {
  return [&hub, &controller, &q, &store,
          on_finished = std::move(on_finished)](const QueueEvent& e) {
    const bool dead_queue = EndsWith(e.queue, ".dead");
    const std::string work_queue =
        dead_queue ? e.queue.substr(0, e.queue.size() - 5) : e.queue;
    if (!e.id.empty() && e.kind == QueueEvent::Kind::kAcked && !dead_queue) {
      if (auto event = FinishedEvent(store, e.id))
        hub.Publish("request", std::move(*event));
      if (on_finished) on_finished();
    } else if (!e.id.empty()) {
      std::string status;
      switch (e.kind) {
        case QueueEvent::Kind::kPublished:
        case QueueEvent::Kind::kRequeued:
        case QueueEvent::Kind::kExpired:
          // A copy arriving in the dead queue is followed by the ack of the
          // original, whose record says "failed" with the details.
          status = dead_queue ? "" : "queued";
          break;
        case QueueEvent::Kind::kTaken:
          status = dead_queue ? "" : "running";
          // A cancelled or deleted request is only taken to be dropped: it
          // does not run (worker/control.h).
          if (!status.empty() && (store.Head(worker::TombstoneKey(e.id)).ok() ||
                                  store.Head(worker::CancelKey(e.id)).ok())) {
            status = "";
          }
          break;
        case QueueEvent::Kind::kAcked:
          break;  // handled above: its record says how it finished
        case QueueEvent::Kind::kDeadLettered:
          status = "failed";
          break;
      }
      if (!status.empty())
        hub.Publish("request", {{"id", e.id}, {"status", status}});
    }
    if (auto d = q.Depths(work_queue); d.ok()) {
      hub.Publish("queue", {{"queue", work_queue},
                            {"ready", d->ready},
                            {"leased", d->leased},
                            {"dead", d->dead}});
    }
    if (!dead_queue && (e.kind == QueueEvent::Kind::kPublished ||
                        e.kind == QueueEvent::Kind::kRequeued ||
                        e.kind == QueueEvent::Kind::kExpired)) {
      controller.WakeQueue(e.queue);
    }
  };
}

http::QueueOpener DeadLetterQueueOpener(
    controller::Controller& controller,
    queue::embedded::EmbeddedQueue* embedded) {
  return [&controller,
          embedded]() -> absl::StatusOr<std::unique_ptr<queue::MessageQueue>> {
    auto target = ResolveBrokerTarget(*controller.manifests(), "");
    if (!target.ok()) return target.status();
    if (target->embedded()) {
      if (!embedded) return absl::UnavailableError("no embedded queue");
      return std::unique_ptr<queue::MessageQueue>(new BorrowedQueue(*embedded));
    }
    return OpenRabbitMq(target->amqp_url, "ebb-up-dead-letters");
  };
}

}  // namespace ebb::cli
