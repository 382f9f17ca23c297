// SPDX-License-Identifier: Apache-2.0
//
// The spine, end to end: the seed's ScaledJob on a real RabbitMQ, `ebb up`
// starting real `ebb worker` jobs as local processes, results in a filesystem
// store.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "inference/text_to_image.h"
#include "queue/dead_letters.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

std::unique_ptr<queue::RabbitMqQueue> Broker(const std::string& url) {
  queue::RabbitMqOptions o;
  o.url = url;
  o.connection_name = "spine-test";
  auto q = queue::RabbitMqQueue::Connect(o);
  EXPECT_TRUE(q.ok()) << q.status();
  return q.ok() ? std::move(q).value() : nullptr;
}

void PublishRaw(queue::MessageQueue& mq, const std::string& queue,
                const std::string& body) {
  queue::OutgoingMessage m;
  m.body = body;
  ASSERT_TRUE(mq.Publish(queue, m).ok());
}

// Every record is done, has the demo's and ebb's fields, and its PNGs decode.
void ExpectDone(const EbbUp& up, const std::string& id) {
  nlohmann::json r = up.Record(id);
  ASSERT_FALSE(r.is_discarded()) << id;
  EXPECT_EQ(r["status"], "done") << r.dump();
  for (const char* f :
       {"prompt", "negative_prompt", "image_width", "image_height",
        "inference_steps", "guidance_scale", "number_of_images", "seed",
        "lcm_model_id", "id", "model", "attempt", "worker", "queue_wait_ms",
        "model_load_ms", "inference_ms", "upload_ms"}) {
    EXPECT_TRUE(r.contains(f)) << "record " << id << " lacks " << f;
  }
  const int n = r["number_of_images"].get<int>();
  for (int i = 1; i <= n; ++i) {
    std::ifstream in(
        up.store_dir() + "/" + id + "-" + std::to_string(i) + ".png",
        std::ios::binary);
    std::string png((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
    auto img = inference::DecodePng(png);
    ASSERT_TRUE(img.ok()) << id << "-" << i << ": " << img.status();
    EXPECT_EQ(img->width, r["image_width"].get<int>());
  }
}

EbbUpConfig FastConfig() {
  EbbUpConfig c;
  c.amqp_url = TestAmqpUrl();
  c.polling_interval = 2;
  c.worker_env = {{"EBB_SIM_LOAD_MS", "100"},
                  {"EBB_SIM_INFERENCE_MS", "300"},
                  {"EBB_RETRY_BACKOFF", "200ms"}};
  return c;
}

TEST(SpineTest, TwelvePromptsNeverMoreThanFourJobsThenScaleToZero) {
  EbbUp up(FastConfig());
  ASSERT_TRUE(up.Start()) << up.log();
  std::vector<std::string> ids =
      up.Submit({{"prompt", "a lighthouse at dusk"}, {"repeat", 12}});
  ASSERT_EQ(ids.size(), 12u) << up.log();
  int most = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        most = std::max(most, up.UnfinishedJobs());
        return up.Records().size() == 12;
      },
      absl::Seconds(120)))
      << up.log();
  EXPECT_LE(most, 4);
  EXPECT_GE(most, 2);  // it did scale out
  for (const auto& id : ids) ExpectDone(up, id);
  EXPECT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 0; }, absl::Seconds(30)));
  auto mq = Broker(TestAmqpUrl());
  auto depth = mq->Depth(up.queue());
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(depth->ready, 0);
}

TEST(SpineTest, WorkerKilledMidGenerationIsRedeliveredAndStoredOnce) {
  EbbUpConfig c = FastConfig();
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "4000";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a fox in the snow"}, {"count", 2}});
  ASSERT_EQ(ids.size(), 1u);
  auto mq = Broker(TestAmqpUrl());
  // The worker has taken the message (none ready) and is generating.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto d = mq->Depth(up.queue());
        return !up.WorkerPids().empty() && d.ok() && d->ready == 0 &&
               up.Get("/api/v1/jobs")["jobs"].dump().find("\"running\"") !=
                   std::string::npos;
      },
      absl::Seconds(30)))
      << up.log();
  for (pid_t p : up.WorkerPids()) ::kill(p, SIGKILL);
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().size() == 1; }, absl::Seconds(90)))
      << up.log();
  ExpectDone(up, ids[0]);
  EXPECT_GE(up.Record(ids[0])["attempt"].get<int>(), 2);
  // Exactly once: one record and its two images, nothing else (beside the
  // <id>.submitted object `ebb up` wrote when it published the request).
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(up.store_dir())) {
    const std::string name = e.path().filename().string();
    if (name[0] != '.') files.insert(name);
  }
  EXPECT_EQ(files,
            (std::set<std::string>{ids[0] + ".json", ids[0] + "-1.png",
                                   ids[0] + "-2.png", ids[0] + ".submitted"}));
}

TEST(SpineTest, RequestFailingEveryAttemptIsDeadLetteredAndReplayable) {
  EbbUpConfig c = FastConfig();
  c.backoff_limit = 1;  // 2 attempts
  c.worker_env["EBB_SIM_FAIL_PATTERN"] = "^always fail";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "always fail, please"}});
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return up.Records().count(ids[0]) == 1; },
                        absl::Seconds(90)))
      << up.log();
  nlohmann::json r = up.Record(ids[0]);
  EXPECT_EQ(r["status"], "failed");
  EXPECT_TRUE(
      absl::StrContains(r["error"].get<std::string>(), "simulated failure"))
      << r.dump();

  std::string out;
  ASSERT_EQ(up.Ebb({"dlq", "list", "--amqp-url", TestAmqpUrl(), "--queue",
                    up.queue(), "-o", "json"},
                   &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, ids[0])) << out;
  EXPECT_TRUE(absl::StrContains(out, "simulated failure")) << out;

  // Stop ebb up so the replayed message stays in the queue for us to see.
  up.Interrupt(SIGTERM);
  ASSERT_EQ(up.Ebb({"dlq", "replay", "--amqp-url", TestAmqpUrl(), "--queue",
                    up.queue(), ids[0]},
                   &out),
            0)
      << out;
  auto mq = Broker(TestAmqpUrl());
  EXPECT_EQ(mq->Depth(up.queue())->ready, 1);
  EXPECT_EQ(mq->Depth(queue::DeadLetterQueueName(up.queue()))->ready, 0);
}

TEST(SpineTest, MalformedMessageIsDeadLetteredAndGoodOnesComplete) {
  EbbUpConfig c = FastConfig();
  c.polling_interval = 1;
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto mq = Broker(TestAmqpUrl());
  PublishRaw(*mq, up.queue(),
             "{\"prompt\": \"a red boat\", \"count\": 1, \"id\": \"good-1\"}");
  PublishRaw(*mq, up.queue(), "this is not json {");
  PublishRaw(*mq, up.queue(),
             "{\"prompt\": \"a blue boat\", \"count\": 1, \"id\": \"good-2\"}");
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto r = up.Records();
        return r.count("good-1") && r.count("good-2");
      },
      absl::Seconds(90)))
      << up.log();
  ExpectDone(up, "good-1");
  ExpectDone(up, "good-2");
  std::vector<queue::DeadLetterEntry> dead;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto d = queue::ListDeadLetters(
            *mq, queue::DeadLetterQueueName(up.queue()), 10);
        if (d.ok()) dead = *d;
        return dead.size() == 1;
      },
      absl::Seconds(30)));
  EXPECT_EQ(dead[0].body, "this is not json {");
  EXPECT_TRUE(absl::StrContains(dead[0].reason, "JSON")) << dead[0].reason;
}

TEST(SpineTest, IdenticalIdlessMessagesGiveDistinctResults) {
  EbbUpConfig c = FastConfig();
  c.polling_interval = 1;
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto mq = Broker(TestAmqpUrl());
  // What the reference demo's UI sends for "3 images in parallel".
  for (int i = 0; i < 3; ++i)
    PublishRaw(*mq, up.queue(), "{\"prompt\":\"a cat\",\"count\":1}");
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().size() == 3; }, absl::Seconds(90)))
      << up.log();
  for (const auto& id : up.Records()) ExpectDone(up, id);
  EXPECT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 0; }, absl::Seconds(30)));
  EXPECT_EQ(up.Records().size(), 3u);
}

TEST(SpineTest, BrokerDownAtStartRecoversAndLosesNothing) {
  ScopedRabbitMq broker;
  EbbUpConfig c = FastConfig();
  c.amqp_url = broker.AmqpUrl();  // nothing listens there yet
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  // The scale loop reports a clear, masked error.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto sj = up.Get("/api/v1/scaledjobs");
        return !sj.is_null() && sj["scaledJobs"][0]["last"].contains("error");
      },
      absl::Seconds(20)));
  std::string err =
      up.Get("/api/v1/scaledjobs")["scaledJobs"][0]["last"]["error"];
  EXPECT_TRUE(absl::StrContains(err, "127.0.0.1")) << err;
  EXPECT_FALSE(absl::StrContains(err, "guest:guest")) << err;
  // A submit while the broker is down is refused, not silently dropped.
  std::string submit_error;
  EXPECT_TRUE(up.Submit({{"prompt", "too early"}}, &submit_error).empty());

  ASSERT_TRUE(broker.Start());
  std::vector<std::string> ids;
  ASSERT_TRUE(WaitUntil(
      [&] {
        ids =
            up.Submit({{"prompt", "after the broker came up"}, {"repeat", 3}});
        return ids.size() == 3;
      },
      absl::Seconds(30)))
      << up.log();
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().size() == 3; }, absl::Seconds(90)))
      << up.log();
  for (const auto& id : ids) ExpectDone(up, id);
}

TEST(SpineTest, RestartAfterSigkillAdoptsRunningJobsWithoutDuplicates) {
  EbbUpConfig c = FastConfig();
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "3000";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a quiet harbour"}, {"repeat", 8}});
  ASSERT_EQ(ids.size(), 8u);
  ASSERT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 4; }, absl::Seconds(30)))
      << up.log();
  nlohmann::json before = up.Get("/api/v1/jobs");
  up.Kill();
  ASSERT_TRUE(up.Start()) << up.log();
  // The same four jobs are listed, still unfinished or finished by now:
  // adopted.
  nlohmann::json after = up.Get("/api/v1/jobs");
  for (const auto& j : before["jobs"]) {
    EXPECT_TRUE(absl::StrContains(after.dump(), j["name"].get<std::string>()) ||
                up.Records().size() > 0);
  }
  int most = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        most = std::max(most, up.UnfinishedJobs());
        return up.Records().size() == 8;
      },
      absl::Seconds(120)))
      << up.log();
  EXPECT_LE(most, 4);
  for (const auto& id : ids) {
    ExpectDone(up, id);
    EXPECT_EQ(up.Record(id)["attempt"], 1) << "request " << id << " ran twice";
  }
}

TEST(SpineTest, SeedManifestsValidateWithOnlyThePairingWarning) {
  EbbUp up(FastConfig());
  std::string out;
  EXPECT_EQ(up.Ebb({"validate", "-f",
                    SourceDir() + "/examples/stable-diffusion/manifests.yaml",
                    "-o", "json"},
                   &out),
            0)
      << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["errors"], 0);
  EXPECT_EQ(j["warnings"], 1) << out;
  EXPECT_TRUE(absl::StrContains(
      j["diagnostics"][0]["message"].get<std::string>(), "accurate"))
      << out;
}

TEST(SpineTest, ExplainShowsTheDecisionAsJson) {
  EbbUp up(FastConfig());
  std::string out;
  ASSERT_EQ(up.Ebb({"explain", "-f",
                    SourceDir() + "/examples/stable-diffusion/manifests.yaml",
                    "--queue-length", "10", "--running", "1", "-o", "json"},
                   &out),
            0)
      << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  // default strategy: M = min(10/1, 4) = 4; effMax = M - R = 3; create min(10,
  // 3).
  EXPECT_EQ(j["create"], 3);
  EXPECT_EQ(j["maxScale"], 4);
}

}  // namespace
}  // namespace ebb::testing
