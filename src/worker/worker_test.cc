// SPDX-License-Identifier: Apache-2.0
// Worker: the happy path, ids, duplicates and process glue. Failure handling
// is in worker_failure_test.cc.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "worker/worker_test_util.h"

namespace ebb::worker {
namespace {

using ::testing::ElementsAre;

class WorkerTest : public WorkerTestBase {};

TEST_F(WorkerTest, HappyPathStoresDecodablePngsThenTheRecord) {
  auto sim = MakeSim();
  const int64_t enqueued = absl::ToUnixMillis(clock_.Now()) - 3000;
  Publish({{"id", "r1"},
           {"prompt", "\"a cat\""},
           {"count", 2},
           {"width", 64},
           {"height", 96},
           {"steps", 4}},
          "r1", {{queue::kHeaderEnqueuedAtMs, absl::StrCat(enqueued)}});
  bool ready_before_take = false;
  WorkerOptions opts = Options();
  opts.on_ready = [&] { ready_before_take = mq_.ReadyCount(kQueue) == 1; };

  auto n = RunWorker(*sim, opts);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(ready_before_take);
  EXPECT_THAT(store_.PutLog(), ElementsAre("r1-1.png", "r1-2.png", "r1.json"));
  EXPECT_EQ(store_.ContentType("r1-1.png"), "image/png");
  EXPECT_EQ(store_.ContentType("r1.json"), "application/json");
  for (int i = 1; i <= 2; ++i) {
    auto img =
        inference::DecodePng(*store_.Get(absl::StrCat("r1-", i, ".png")));
    ASSERT_TRUE(img.ok()) << img.status();
    EXPECT_EQ(img->width, 64);
    EXPECT_EQ(img->height, 96);
    // Image i is the model's output for seed + i - 1.
    inference::GenerateRequest req;
    req.prompt = "\"a cat\"";
    req.seed = DeriveSeed("r1") + i - 1;
    req.steps = 4;
    req.width = 64;
    req.height = 96;
    EXPECT_EQ(img->pixels, inference::RenderSimImage(req).pixels);
  }
  nlohmann::json r = Record("r1");
  EXPECT_EQ(r["status"], "done");
  EXPECT_TRUE(r["error"].is_null());
  EXPECT_EQ(r["id"], "r1");
  EXPECT_EQ(r["prompt"], "\"a cat\"");
  EXPECT_EQ(r["number_of_images"], 2);
  EXPECT_EQ(r["image_width"], 64);
  EXPECT_EQ(r["image_height"], 96);
  EXPECT_EQ(r["inference_steps"], 4);
  EXPECT_EQ(r["seed"], DeriveSeed("r1"));
  EXPECT_EQ(r["lcm_model_id"], "ebb-sim");
  EXPECT_EQ(r["model"], "ebb-sim");
  EXPECT_EQ(r["attempt"], 1);
  EXPECT_EQ(r["worker"], "test-worker");
  EXPECT_EQ(r["model_load_ms"], 1000);
  EXPECT_EQ(r["queue_wait_ms"], 4000);  // 3 s before Run + 1 s model load
  EXPECT_EQ(r["inference_ms"], 500);    // 2 images x 250 ms
  EXPECT_EQ(r["upload_ms"], 0);
  EXPECT_EQ(r["images"], nlohmann::json({"r1-1.png", "r1-2.png"}));
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
  EXPECT_EQ(stats_.done, 1);
}

TEST_F(WorkerTest, QueueWaitIsNullWithoutAnEnqueueStamp) {
  auto sim = MakeSim();
  Publish({{"id", "r1"}, {"prompt", "p"}, {"width", 64}, {"height", 64}});
  ASSERT_TRUE(RunWorker(*sim, Options()).ok());
  EXPECT_TRUE(Record("r1")["queue_wait_ms"].is_null());
}

TEST_F(WorkerTest, IdLessMessagesBecomeDistinctRequests) {
  auto sim = MakeSim();
  for (int i = 0; i < 3; ++i) {
    Publish({{"prompt", "same"}, {"count", 1}, {"width", 64}, {"height", 64}});
  }
  auto n = RunWorker(*sim, Options(/*max_tasks=*/3));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(stats_.ids_assigned, 3);
  std::set<std::string> ids;
  for (const std::string& key : store_.Keys()) {
    if (key.ends_with(".json")) {
      nlohmann::json r = nlohmann::json::parse(*store_.Get(key));
      EXPECT_EQ(r["status"], "done");
      EXPECT_EQ(key, r["id"].get<std::string>() + ".json");
      ids.insert(r["id"]);
    }
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(store_.Keys().size(), 6u);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
}

TEST_F(WorkerTest, IdLessRepublishKeepsHeadersAndSetsMessageId) {
  auto sim = MakeSim();
  Publish({{"prompt", "\"q\""}, {"count", 1}, {"width", 64}, {"height", 64}},
          "", {{queue::kHeaderEnqueuedAtMs, "12345"}, {"x-custom", "v"}});
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, Options());
  ASSERT_EQ(*w.Run(), 1);
  ASSERT_EQ(spy.published.size(), 1u);
  const auto& [q, m] = spy.published[0];
  EXPECT_EQ(q, kQueue);
  EXPECT_FALSE(m.message_id.empty());
  nlohmann::json body = nlohmann::json::parse(m.body);
  EXPECT_EQ(body["id"], m.message_id);
  EXPECT_EQ(body["prompt"], "\"q\"");
  EXPECT_EQ(m.headers.at(queue::kHeaderEnqueuedAtMs), "12345");
  EXPECT_EQ(m.headers.at("x-custom"), "v");
  nlohmann::json r = Record(m.message_id);
  EXPECT_EQ(r["status"], "done");
  EXPECT_EQ(r["queue_wait_ms"],
            absl::ToUnixMillis(clock_.Now()) - 250 - 12345);  // before Generate
}

TEST_F(WorkerTest, MessageIdIsUsedWhenTheBodyHasNoId) {
  auto sim = MakeSim();
  Publish({{"prompt", "p"}, {"width", 64}, {"height", 64}}, "amqp-id-7");
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(stats_.ids_assigned, 0);
  EXPECT_EQ(Record("amqp-id-7")["status"], "done");
}

TEST_F(WorkerTest, DuplicateDeliveryOfOneIdWritesNoNewKeys) {
  auto sim = MakeSim();
  const nlohmann::json task = {
      {"id", "d1"}, {"prompt", "p"}, {"width", 64}, {"height", 64}};
  Publish(task, "d1");
  Publish(task, "d1");
  ASSERT_EQ(*RunWorker(*sim, Options(/*max_tasks=*/2)), 2);
  EXPECT_THAT(store_.Keys(), ElementsAre("d1-1.png", "d1.json"));
  EXPECT_EQ(stats_.already_done, 1);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 0);
}

TEST_F(WorkerTest, ReprocessingARequestWritesIdenticalBytes) {
  auto sim = MakeSim();
  const nlohmann::json task = {{"id", "d2"},
                               {"prompt", "p"},
                               {"count", 2},
                               {"width", 64},
                               {"height", 64}};
  Publish(task, "d2");
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  const std::string first = *store_.Get("d2-2.png");
  // As if the worker died after the images but before the record.
  ASSERT_TRUE(store_.Delete("d2.json").ok());
  Publish(task, "d2");
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(*store_.Get("d2-2.png"), first);
  EXPECT_THAT(store_.Keys(), ElementsAre("d2-1.png", "d2-2.png", "d2.json"));
}

TEST_F(WorkerTest, ExplicitSeedIsUsed) {
  auto sim = MakeSim();
  Publish({{"id", "s1"},
           {"prompt", "p"},
           {"seed", 7},
           {"width", 64},
           {"height", 64}});
  ASSERT_EQ(*RunWorker(*sim, Options()), 1);
  EXPECT_EQ(Record("s1")["seed"], 7);
}

TEST_F(WorkerTest, EmptyQueueInJobModeReturnsZero) {
  auto sim = MakeSim();
  auto n = RunWorker(*sim, Options());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(WorkerTest, LoopModeHandlesEverythingUntilStopped) {
  auto sim = MakeSim();
  for (int i = 0; i < 3; ++i) {
    Publish({{"id", absl::StrCat("L", i)},
             {"prompt", "p"},
             {"width", 64},
             {"height", 64}});
  }
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, Options(/*max_tasks=*/0));
  // Stop at the first empty take: the queue has drained.
  spy.on_take = [&](const std::optional<queue::Delivery>& d) {
    if (!d.has_value()) w.RequestStop();
  };
  auto n = w.Run();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(w.stats().done, 3);
  // Only the first request waited for the model load.
  EXPECT_EQ(Record("L0")["model_load_ms"], 1000);
  EXPECT_EQ(Record("L1")["model_load_ms"], 0);
  EXPECT_EQ(Record("L2")["model_load_ms"], 0);
}

TEST_F(WorkerTest, StopBeforeRunTakesNothing) {
  auto sim = MakeSim();
  Publish({{"id", "x"}, {"prompt", "p"}});
  Worker w(mq_, store_, *sim, clock_, Options(/*max_tasks=*/0));
  w.RequestStop();
  ASSERT_EQ(*w.Run(), 0);
  EXPECT_EQ(mq_.ReadyCount(kQueue), 1);
  EXPECT_TRUE(store_.Keys().empty());
}

TEST_F(WorkerTest, StopAfterTakeHandsTheMessageBackUnchanged) {
  auto sim = MakeSim();
  Publish({{"id", "x"}, {"prompt", "p"}}, "x", {{queue::kHeaderAttempt, "2"}});
  SpyQueue spy(mq_);
  Worker w(spy, store_, *sim, clock_, Options());
  spy.on_take = [&](const std::optional<queue::Delivery>&) { w.RequestStop(); };
  ASSERT_EQ(*w.Run(), 0);
  EXPECT_TRUE(store_.Keys().empty());
  auto ready = mq_.ReadyMessages(kQueue);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_FALSE(ready[0].redelivered);  // not counted as a crash
  EXPECT_EQ(ready[0].message_id, "x");
  EXPECT_EQ(Header(ready[0], queue::kHeaderAttempt), "2");
  EXPECT_EQ(mq_.UnackedCount(kQueue), 0);
}

TEST_F(WorkerTest, NotifyReadyWritesToTheFdFromTheEnvironment) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::setenv("EBB_READY_FD", absl::StrCat(fds[1]).c_str(), 1);
  ASSERT_TRUE(NotifyReadyFromEnv().ok());
  char buf[16] = {};
  ASSERT_EQ(::read(fds[0], buf, sizeof(buf)), 8);
  EXPECT_STREQ(buf, "READY=1\n");
  EXPECT_EQ(::fcntl(fds[1], F_GETFD), -1);  // closed
  EXPECT_EQ(std::getenv("EBB_READY_FD"), nullptr);
  EXPECT_EQ(::read(fds[0], buf, sizeof(buf)), 0);  // EOF: writer closed
  ::close(fds[0]);
  EXPECT_TRUE(NotifyReadyFromEnv().ok());  // unset: nothing to do
  ::setenv("EBB_READY_FD", "x", 1);
  EXPECT_TRUE(absl::IsInvalidArgument(NotifyReadyFromEnv()));
  ::unsetenv("EBB_READY_FD");
}

// A pod's readiness probe tests for EBB_READY_FILE: it appears only once
// NotifyReadyFromEnv runs (after the model loaded), and a file that cannot
// be written is a clear error naming it.
TEST_F(WorkerTest, NotifyReadyCreatesTheReadyFile) {
  const std::string dir = ::testing::TempDir() + "ebb-ready-file-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/ready";
  ::setenv("EBB_READY_FILE", path.c_str(), 1);
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE(NotifyReadyFromEnv().ok());
  EXPECT_TRUE(std::filesystem::exists(path));
  // Under a regular file: no directory can be made there.
  ::setenv("EBB_READY_FILE", (path + "/ready").c_str(), 1);
  absl::Status s = NotifyReadyFromEnv();
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_NE(s.message().find("EBB_READY_FILE=" + path + "/ready"),
            std::string::npos)
      << s;
  ::unsetenv("EBB_READY_FILE");
  std::filesystem::remove_all(dir);
}

TEST_F(WorkerTest, ApplyWorkerEnvReadsLimitAndName) {
  ::setenv("EBB_ATTEMPT_LIMIT", "3", 1);
  ::setenv("EBB_JOB_NAME", "stable-diff-job-x7k2p", 1);
  WorkerOptions o;
  ASSERT_TRUE(ApplyWorkerEnv(o).ok());
  EXPECT_EQ(o.attempt_limit, 3);
  EXPECT_EQ(o.worker_name, "stable-diff-job-x7k2p");
  ::setenv("EBB_ATTEMPT_LIMIT", "0", 1);
  EXPECT_TRUE(absl::IsInvalidArgument(ApplyWorkerEnv(o)));
  ::unsetenv("EBB_ATTEMPT_LIMIT");
  ::unsetenv("EBB_JOB_NAME");
  WorkerOptions h;
  ASSERT_TRUE(ApplyWorkerEnv(h).ok());
  EXPECT_EQ(h.attempt_limit, 5);
  EXPECT_FALSE(h.worker_name.empty());  // the hostname
}

}  // namespace
}  // namespace ebb::worker
