// SPDX-License-Identifier: Apache-2.0
//
// A message that kills the worker on every try still uses up its attempts
// (worker.h step 1): workers run in child processes over a real queue (the
// embedded queue's SQLite file, and a real RabbitMQ broker), the model aborts
// the process on a marker prompt, and the message must end in the dead letters
// after exactly attempt_limit (backoffLimit + 1) crashes, never to come back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/sim/sim_text_to_image.h"
#include "nlohmann/json.hpp"
#include "queue/dead_letters.h"
#include "queue/embedded/embedded_queue.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "storage/filesystem/filesystem_object_store.h"
#include "tests/harness/harness.h"
#include "worker/worker.h"

namespace ebb::worker {
namespace {

using ::testing::HasSubstr;

constexpr char kMarker[] = "ABORT-THE-WORKER";
constexpr int kAttemptLimit = 3;  // backoffLimit 2

// Aborts the process on a prompt holding kMarker, as a worker that segfaults or
// is OOM-killed on one message; renders anything else.
class AbortingModel : public inference::TextToImage {
 public:
  AbortingModel() {
    inference::SimOptions o;
    sim_ = std::move(*inference::SimTextToImage::Create(o));
  }
  absl::Status Load() override { return sim_->Load(); }
  absl::StatusOr<inference::Image> Generate(
      const inference::GenerateRequest& r) override {
    if (absl::StrContains(r.prompt, kMarker)) std::abort();
    return sim_->Generate(r);
  }
  std::string ModelName() const override { return sim_->ModelName(); }

 private:
  std::unique_ptr<inference::SimTextToImage> sim_;
};

// The real clock moved by `offset`, so a child sees the leases of the children
// before it as expired without waiting for them.
class OffsetClock : public Clock {
 public:
  explicit OffsetClock(absl::Duration offset) : offset_(offset) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  absl::Duration offset_;
};

enum class ChildEnd { kAborted, kExited, kOther };

// Runs one job-mode worker in a child process over the queue that `open`
// returns there (opened after the fork) and the store in `store_dir`.
ChildEnd RunWorkerChild(
    const std::function<std::unique_ptr<queue::MessageQueue>(int)>& open,
    int child_index, const std::string& queue_name,
    const std::string& store_dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    auto mq = open(child_index);
    auto store = storage::FilesystemObjectStore::Open(store_dir);
    if (mq == nullptr || !store.ok()) _exit(3);
    AbortingModel model;
    WorkerOptions o;
    o.queue = queue_name;
    o.attempt_limit = kAttemptLimit;
    o.retry_backoff = absl::Milliseconds(20);
    o.take_timeout = absl::Seconds(3);
    o.stop_check_interval = absl::Milliseconds(100);
    o.worker_name = "crash-child";
    Worker w(*mq, **store, model, *Clock::Real(), o);
    auto n = w.Run();
    _exit(n.ok() ? 0 : 4);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return ChildEnd::kOther;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
    return ChildEnd::kAborted;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ChildEnd::kExited;
  return ChildEnd::kOther;
}

struct CrashLoopResult {
  int aborted = 0;
  int children = 0;
};

// Starts children until one exits normally (the message was dead-lettered and
// the queue stayed empty), at most attempt_limit + 3.
CrashLoopResult RunUntilSettled(
    const std::function<std::unique_ptr<queue::MessageQueue>(int)>& open,
    const std::string& queue_name, const std::string& store_dir) {
  CrashLoopResult r;
  while (r.children < kAttemptLimit + 3) {
    const ChildEnd end =
        RunWorkerChild(open, r.children, queue_name, store_dir);
    ++r.children;
    if (end == ChildEnd::kAborted) {
      ++r.aborted;
    } else {
      EXPECT_EQ(end, ChildEnd::kExited) << "child " << r.children;
      break;
    }
  }
  return r;
}

void ExpectDeadLetteredAfterTheLimit(queue::MessageQueue& mq,
                                     const std::string& queue_name,
                                     const std::string& store_dir,
                                     const std::string& id) {
  auto dead =
      queue::ListDeadLetters(mq, queue::DeadLetterQueueName(queue_name), 10);
  ASSERT_TRUE(dead.ok()) << dead.status();
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, id);
  EXPECT_EQ((*dead)[0].attempt, kAttemptLimit);
  EXPECT_THAT((*dead)[0].reason, HasSubstr("gave up after 3 attempt(s)"));
  EXPECT_THAT((*dead)[0].reason, HasSubstr("worker died"));
  auto store = storage::FilesystemObjectStore::Open(store_dir);
  ASSERT_TRUE(store.ok());
  auto rec = (*store)->Get(id + ".json");
  ASSERT_TRUE(rec.ok()) << rec.status();
  auto j = nlohmann::json::parse(*rec);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["attempt"], kAttemptLimit);
}

queue::OutgoingMessage Poison(const std::string& id) {
  queue::OutgoingMessage m;
  m.body = nlohmann::json{
      {"id", id},
      {"prompt", std::string("a cat ") + kMarker},
      {"width", 64},
      {"height",
       64}}.dump();
  m.message_id = id;
  return m;
}

TEST(WorkerCrashTest, EmbeddedQueueDeadLettersAMessageThatKillsEveryWorker) {
  const std::string dir = testing::MakeTempDir("worker-crash");
  const std::string db = dir + "/queue.db", store_dir = dir + "/store";
  auto open_at = [&](Clock* clock) -> std::unique_ptr<queue::MessageQueue> {
    queue::embedded::EmbeddedQueueOptions o;
    o.path = db;
    o.clock = clock;
    o.default_lease = absl::Minutes(10);
    // Each worker here opens the queue itself, after advancing the clock past
    // the dead holder's lease: no restart grace (that is for `ebb up`
    // reopening it while its workers keep working).
    o.restart_lease_grace = absl::ZeroDuration();
    auto q = queue::embedded::EmbeddedQueue::Open(o);
    if (!q.ok()) return nullptr;
    return std::move(*q);
  };
  OffsetClock now(absl::ZeroDuration());
  {
    auto q = open_at(&now);
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(q->Publish("tasks", Poison("poison-e")).ok());
  }  // closed before forking: no queue thread runs in the parent meanwhile
  // Child k runs k hours ahead, past the 10-minute leases of those before.
  auto open = [&](int k) {
    // Leaked on purpose: it lives until the child's _exit.
    return open_at(new OffsetClock(absl::Hours(k + 1)));
  };
  CrashLoopResult r = RunUntilSettled(open, "tasks", store_dir);
  EXPECT_EQ(r.aborted, kAttemptLimit);

  // Not redelivered after: one more worker finds nothing to do.
  EXPECT_EQ(RunWorkerChild(open, 20, "tasks", store_dir), ChildEnd::kExited);
  OffsetClock later(absl::Hours(100));
  auto q = open_at(&later);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->Depth("tasks")->ready, 0);
  ExpectDeadLetteredAfterTheLimit(*q, "tasks", store_dir, "poison-e");
}

TEST(WorkerCrashTest, RabbitMqDeadLettersAMessageThatKillsEveryWorker) {
  const std::string url = testing::TestAmqpUrl();
  const std::string dir = testing::MakeTempDir("worker-crash-rmq");
  const std::string store_dir = dir + "/store";
  const std::string queue_name = testing::UniqueName("crash");
  auto open = [&](int) -> std::unique_ptr<queue::MessageQueue> {
    queue::RabbitMqOptions o;
    o.url = url;
    o.connection_name = "ebb-crash-test";
    auto q = queue::RabbitMqQueue::Connect(o);
    if (!q.ok()) return nullptr;
    return std::move(*q);
  };
  {
    auto q = open(0);
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(q->Publish(queue_name, Poison("poison-r")).ok());
  }
  CrashLoopResult r = RunUntilSettled(open, queue_name, store_dir);
  EXPECT_EQ(r.aborted, kAttemptLimit);

  EXPECT_EQ(RunWorkerChild(open, 20, queue_name, store_dir), ChildEnd::kExited);
  auto q = open(0);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->Depth(queue_name)->ready, 0);
  ExpectDeadLetteredAfterTheLimit(*q, queue_name, store_dir, "poison-r");
}

}  // namespace
}  // namespace ebb::worker
