// SPDX-License-Identifier: Apache-2.0
//
// The request commands against a real `ebb up` — `ebb submit --wait`, `ebb
// get` (progress, estimate), `ebb requests` (filters), `ebb wait`, `ebb
// cancel`, `ebb delete`, `ebb logs --tail`, `ebb jobs --scaledjob` — in
// single-node mode (embedded queue) and with RabbitMQ, with a slow simulated
// model so that steps take time. Waits are on conditions with deadlines.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

// 40 steps of 250 ms: a request runs 10 s unless cancelled.
std::map<std::string, std::string> SlowWorkerEnv() {
  return {{"EBB_SIM_LOAD_MS", "50"},
          {"EBB_SIM_INFERENCE_MS", "10000"},
          {"EBB_CONTROL_INTERVAL_MS", "100"}};
}

EbbUpConfig SingleNode(int max_jobs = 1) {
  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = max_jobs;
  c.worker_env = SlowWorkerEnv();
  return c;
}

// The seed's ScaledJob on the run's RabbitMQ, one job at most.
EbbUpConfig RabbitMq() {
  EbbUpConfig c;
  c.amqp_url = TestAmqpUrl();
  c.polling_interval = 1;
  c.max_replica_count = 1;
  c.worker_env = SlowWorkerEnv();
  return c;
}

std::vector<std::string> Cmd(std::vector<std::string> args, const EbbUp& up) {
  for (const auto& a : {std::string("--server"), up.server(),
                        std::string("--data-dir"), up.data_dir()}) {
    args.push_back(a);
  }
  return args;
}

nlohmann::json GetJson(const EbbUp& up, const std::string& id) {
  std::string out;
  if (up.Ebb(Cmd({"get", id, "-o", "json"}, up), &out) != 0) return nullptr;
  return nlohmann::json::parse(out, nullptr, false);
}

// Waits until `ebb get ID` reports a step >= `step`; returns the step seen.
int WaitForStep(const EbbUp& up, const std::string& id, int step) {
  int seen = -1;
  WaitUntil(
      [&] {
        nlohmann::json r = GetJson(up, id);
        if (r.is_object() && r.contains("progress")) {
          seen = r["progress"]["step"].get<int>();
        }
        return seen >= step;
      },
      absl::Seconds(60));
  return seen;
}

std::string Submit(const EbbUp& up, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"submit", "a slow heron", "--steps", "40"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string out;
  EXPECT_EQ(up.Ebb(Cmd(args, up), &out), 0) << out;
  return std::string(absl::StripAsciiWhitespace(out));
}

TEST(CliRequestsTest, ProgressMovesThenCancelStopsTheRunningRequest) {
  EbbUp up(SingleNode());
  ASSERT_TRUE(up.Start()) << up.log();
  const std::string id = Submit(up);
  const int first = WaitForStep(up, id, 1);
  ASSERT_GE(first, 1) << up.log();
  ASSERT_GT(WaitForStep(up, id, first + 2), first) << "progress never moved";
  std::string out;
  ASSERT_EQ(up.Ebb(Cmd({"get", id}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "running (step ")) << out;
  EXPECT_TRUE(absl::StrContains(out, " of 40")) << out;

  ASSERT_EQ(up.Ebb(Cmd({"cancel", id}, up), &out), 0) << out;
  EXPECT_EQ(out, id + " cancelled\n");
  // `ebb wait` ends when the request is finished: cancelled is exit 1.
  EXPECT_EQ(up.Ebb(Cmd({"wait", id, "--timeout", "60"}, up), &out), 1) << out;
  EXPECT_EQ(out, id + " cancelled\n");
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().count(id) == 1; }, absl::Seconds(30)))
      << up.log();
  nlohmann::json rec = up.Record(id);
  EXPECT_EQ(rec["status"], "cancelled") << rec.dump();
  EXPECT_EQ(rec["attempt"], 1);
  EXPECT_TRUE(rec["images"].empty());
  EXPECT_FALSE(std::filesystem::exists(up.store_dir() + "/" + id + "-1.png"));
  // Not requeued: nothing left queued or running.
  ASSERT_EQ(up.Ebb(Cmd({"requests", "--status", "queued,running"}, up), &out),
            0);
  EXPECT_FALSE(absl::StrContains(out, id)) << out;
  // A finished request cannot be cancelled again.
  ASSERT_EQ(up.Ebb(Cmd({"cancel", id}, up), &out), 0) << out;  // cancelled: ok
}

TEST(CliRequestsTest, QueuedRequestShowsAnEstimateAndIsDroppedWhenCancelled) {
  EbbUp up(SingleNode(1));
  ASSERT_TRUE(up.Start()) << up.log();
  const std::string running = Submit(up);
  ASSERT_GE(WaitForStep(up, running, 1), 1) << up.log();
  const std::string queued = Submit(up);
  nlohmann::json r = GetJson(up, queued);
  ASSERT_EQ(r["status"], "queued") << r.dump();
  EXPECT_EQ(r["estimate"]["position"], 1) << r.dump();
  EXPECT_TRUE(r["estimate"].contains("basis")) << r.dump();
  std::string out;
  ASSERT_EQ(up.Ebb(Cmd({"get", queued}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "POSITION:  1")) << out;
  EXPECT_TRUE(absl::StrContains(out, "WAIT:")) << out;

  ASSERT_EQ(up.Ebb(Cmd({"cancel", queued, running}, up), &out), 0) << out;
  EXPECT_EQ(up.Ebb(Cmd({"wait", queued, running, "--timeout", "60"}, up), &out),
            1);
  // The worker that took the queued one's message dropped it and recorded it.
  ASSERT_TRUE(WaitUntil([&] { return up.Records().count(queued) == 1; },
                        absl::Seconds(60)))
      << up.log();
  EXPECT_EQ(up.Record(queued)["status"], "cancelled");
  ASSERT_EQ(up.Ebb(Cmd({"requests", "--status", "cancelled"}, up), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, queued)) << out;
  EXPECT_TRUE(absl::StrContains(out, running)) << out;
}

TEST(CliRequestsTest, SubmitWaitGetRequestsDeleteLogsAndJobs) {
  EbbUpConfig c = SingleNode(2);
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "200";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  std::string out;
  ASSERT_EQ(up.Ebb(Cmd({"submit", "a paper fox", "--count", "2", "--parallel",
                        "--wait", "--timeout", "120"},
                       up),
                   &out),
            0)
      << out << up.log();
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(out), '\n');
  ASSERT_EQ(lines.size(), 2u) << out;  // one request per image
  const std::string id = lines[0].substr(0, lines[0].find(' '));
  EXPECT_TRUE(
      absl::StrContains(lines[0], " done /api/v1/objects/" + id + "-1.png"))
      << out;

  ASSERT_EQ(up.Ebb(Cmd({"requests", "-q", "FOX"}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, id)) << out;
  EXPECT_TRUE(absl::StartsWith(out, "ID ")) << out;
  ASSERT_EQ(up.Ebb(Cmd({"requests", "-q", "no such prompt"}, up), &out), 0);
  EXPECT_FALSE(absl::StrContains(out, id)) << out;
  ASSERT_EQ(up.Ebb(Cmd({"requests", "-o", "wide"}, up), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "WORKER")) << out;
  // A filter the server refuses is a usage error, in plain text.
  EXPECT_EQ(up.Ebb(Cmd({"requests", "--status", "gone"}, up), &out), 2);
  EXPECT_TRUE(absl::StartsWith(out, "error: status: \"gone\"")) << out;

  ASSERT_EQ(up.Ebb(Cmd({"get", id}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "STATUS:    done")) << out;
  EXPECT_TRUE(absl::StrContains(out, "PROMPT:    a paper fox")) << out;

  ASSERT_EQ(up.Ebb(Cmd({"delete", id}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(out, id + " deleted (")) << out;
  EXPECT_FALSE(std::filesystem::exists(up.store_dir() + "/" + id + "-1.png"));
  EXPECT_FALSE(std::filesystem::exists(up.store_dir() + "/" + id + ".json"));
  EXPECT_TRUE(std::filesystem::exists(up.store_dir() + "/" + id + ".deleted"));
  ASSERT_EQ(up.Ebb(Cmd({"get", id, "-o", "json"}, up), &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["status"], "deleted");
  EXPECT_EQ(up.Ebb(Cmd({"cancel", id}, up), &out), 1);
  EXPECT_TRUE(absl::StartsWith(out, "error: request " + id + " is deleted"))
      << out;

  // Unknown ids: plain text, exit 1.
  EXPECT_EQ(up.Ebb(Cmd({"get", "nosuch"}, up), &out), 1);
  EXPECT_EQ(out, "error: no request with id \"nosuch\"\n");
  EXPECT_EQ(up.Ebb(Cmd({"logs", "nosuch"}, up), &out), 1);
  EXPECT_TRUE(absl::StartsWith(out, "error: ")) << out;
  EXPECT_FALSE(absl::StrContains(out, "{")) << out;

  // Jobs: AGE and DURATION, filtered by ScaledJob; a job's log tail.
  ASSERT_EQ(up.Ebb(Cmd({"jobs", "-o", "json"}, up), &out), 0) << out;
  auto jobs = nlohmann::json::parse(out)["jobs"];
  ASSERT_FALSE(jobs.empty());
  const std::string job = jobs[0]["name"];
  const std::string sj = jobs[0]["scaledJob"];
  ASSERT_EQ(up.Ebb(Cmd({"jobs", "--scaledjob", sj}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "AGE")) << out;
  EXPECT_TRUE(absl::StrContains(out, "DURATION")) << out;
  EXPECT_TRUE(absl::StrContains(out, job)) << out;
  ASSERT_EQ(up.Ebb(Cmd({"jobs", "--scaledjob", "no-such-scaledjob"}, up), &out),
            0);
  EXPECT_FALSE(absl::StrContains(out, job)) << out;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return up.Ebb(Cmd({"logs", job}, up), &out) == 0 &&
               absl::StrContains(out, "finished");
      },
      absl::Seconds(60)))
      << out;
  ASSERT_EQ(up.Ebb(Cmd({"logs", job, "--tail", "1"}, up), &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  ASSERT_EQ(up.Ebb(Cmd({"logs", job, "-f"}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "finished")) << out;
}

TEST(CliRequestsTest, ATokenMismatchNamesTheDataDirectory) {
  EbbUp up(SingleNode());
  ASSERT_TRUE(up.Start()) << up.log();
  const std::string other = MakeTempDir("other-data");
  std::string out;
  EXPECT_EQ(
      up.Ebb({"requests", "--server", up.server(), "--data-dir", other}, &out),
      1);
  EXPECT_TRUE(absl::StrContains(out, other + "/token")) << out;
  EXPECT_TRUE(absl::StrContains(out, "--data-dir")) << out;
  EXPECT_TRUE(absl::StrContains(out, "EBB_TOKEN")) << out;
}

// RabbitMQ mode: the same channel (the object store) carries progress and
// the cancel; a deleted request's late redelivery is dropped.
TEST(CliRequestsTest, RabbitMqCancelStopsRunningAndDeleteBeatsRedelivery) {
  EbbUp up(RabbitMq());
  ASSERT_TRUE(up.Start()) << up.log();
  const std::string id = Submit(up);
  ASSERT_GE(WaitForStep(up, id, 1), 1) << up.log();
  std::string out;
  ASSERT_EQ(up.Ebb(Cmd({"cancel", id}, up), &out), 0) << out;
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().count(id) == 1; }, absl::Seconds(30)))
      << up.log();
  EXPECT_EQ(up.Record(id)["status"], "cancelled");
  EXPECT_EQ(up.Record(id)["attempt"], 1);

  // Delete it, then deliver its message again: nothing comes back.
  ASSERT_EQ(up.Ebb(Cmd({"delete", id}, up), &out), 0) << out;
  queue::RabbitMqOptions o;
  o.url = TestAmqpUrl();
  o.connection_name = "cli-requests-test";
  auto mq = queue::RabbitMqQueue::Connect(o);
  ASSERT_TRUE(mq.ok()) << mq.status();
  queue::OutgoingMessage m;
  m.body = nlohmann::json{{"id", id}, {"prompt", "a slow heron"}, {"steps", 2}}
               .dump();
  m.message_id = id;
  ASSERT_TRUE((*mq)->Publish(up.queue(), m).ok());
  // A job takes and acks it (the queue empties), storing nothing.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto d = (*mq)->Depth(up.queue());
        return d.ok() && d->ready == 0 && up.UnfinishedJobs() == 0;
      },
      absl::Seconds(60)))
      << up.log();
  EXPECT_EQ(up.Records().count(id), 0u);
  EXPECT_FALSE(std::filesystem::exists(up.store_dir() + "/" + id + "-1.png"));
  EXPECT_EQ(GetJson(up, id)["status"], "deleted");
}

// RabbitMQ mode: a request published through `ebb up` is known as queued
// (prompt and all) before any worker reports it, from its <id>.submitted
// object; cancelling it makes the worker that takes it drop it.
TEST(CliRequestsTest, RabbitMqQueuedRequestIsKnownBeforeAWorkerTakesIt) {
  EbbUp up(RabbitMq());
  ASSERT_TRUE(up.Start()) << up.log();
  const std::string running = Submit(up);
  ASSERT_GE(WaitForStep(up, running, 1), 1) << up.log();
  // One job at most: this one waits in RabbitMQ behind the running one.
  const std::string queued = Submit(up, {"--seed", "5"});
  nlohmann::json r = GetJson(up, queued);
  ASSERT_TRUE(r.is_object()) << up.log();
  EXPECT_EQ(r["status"], "queued");
  EXPECT_EQ(r["prompt"], "a slow heron");
  EXPECT_EQ(r["seed"], 5);
  std::string out;
  ASSERT_EQ(
      up.Ebb(Cmd({"requests", "--status", "queued", "-o", "json"}, up), &out),
      0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, queued)) << out;
  // `ebb wait` knows it (it would have said "no request" before).
  ASSERT_EQ(up.Ebb(Cmd({"cancel", queued}, up), &out), 0) << out;
  ASSERT_EQ(up.Ebb(Cmd({"cancel", running}, up), &out), 0) << out;
  EXPECT_EQ(up.Ebb(Cmd({"wait", queued, "--timeout", "60"}, up), &out), 1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "cancelled")) << out;
  ASSERT_TRUE(WaitUntil([&] { return up.Records().count(queued) == 1; },
                        absl::Seconds(60)))
      << up.log();
  EXPECT_EQ(up.Record(queued)["status"], "cancelled");
  EXPECT_EQ(up.Record(running)["status"], "cancelled");
}

}  // namespace
}  // namespace ebb::testing
