// SPDX-License-Identifier: Apache-2.0
//
// The seed's deployment shape with S3: worker -> bucket `images` -> the API,
// against s3rver behind a proxy that verifies every SigV4 signature with
// botocore. The credentials come from the seed's own Secret `minio`
// (rootUser/rootPassword).
#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "queue/dead_letters.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"
#include "tests/s3/s3_fixture.h"

namespace ebb::testing {
namespace {

EbbUpConfig S3Config(const S3Peer& s3, const std::string& secret) {
  EbbUpConfig c;
  c.amqp_url = TestAmqpUrl();
  c.polling_interval = 2;
  c.worker_env = {{"EBB_SIM_LOAD_MS", "100"}, {"EBB_SIM_INFERENCE_MS", "300"}};
  c.store = "s3://images?endpoint=" + s3.ProxyEndpoint() + "&region=us-east-1";
  c.manifest_edits = {
      {"rootUser: minioadmin", std::string("rootUser: ") + S3Peer::kAccessKey},
      {"rootPassword: change-me-please", "rootPassword: " + secret}};
  return c;
}

// Keys in the bucket, from the AWS CLI (the reference client).
std::vector<std::string> BucketKeys(const S3Peer& s3) {
  std::string out;
  if (s3.AwsCli({"s3", "ls", "s3://images/"}, &out) != 0) return {};
  std::vector<std::string> keys;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    std::vector<std::string> cols =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cols.size() >= 4) keys.push_back(cols.back());
  }
  return keys;
}

int CountSuffix(const std::vector<std::string>& keys,
                const std::string& suffix) {
  int n = 0;
  for (const auto& k : keys) n += absl::EndsWith(k, suffix) ? 1 : 0;
  return n;
}

TEST(S3SpineTest, TenPromptsLandInTheBucketAndTheAwsCliReadsThemBack) {
  S3Peer s3;
  ASSERT_TRUE(s3.Start());
  EbbUp up(S3Config(s3, S3Peer::kSecretKey));
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a harbour crane"}, {"repeat", 10}});
  ASSERT_EQ(ids.size(), 10u) << up.log();
  std::vector<std::string> keys;
  ASSERT_TRUE(WaitUntil(
      [&] {
        keys = BucketKeys(s3);
        return CountSuffix(keys, ".json") == 10;
      },
      absl::Seconds(120)))
      << up.log() << s3.ProxyLog();
  EXPECT_EQ(CountSuffix(keys, ".png"), 10);
  // Byte-identical: what the AWS CLI downloads is what ebb serves from the
  // store.
  const std::string dl = MakeTempDir("ebb-s3-dl");
  for (const auto& id : ids) {
    std::string out;
    ASSERT_EQ(
        s3.AwsCli({"s3", "cp", "s3://images/" + id + "-1.png", dl + "/x.png"},
                  &out),
        0)
        << out;
    std::ifstream in(dl + "/x.png", std::ios::binary);
    std::string cli((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
    EXPECT_EQ(cli, up.GetText("/api/v1/objects/" + id + "-1.png")) << id;
    nlohmann::json r = nlohmann::json::parse(
        up.GetText("/api/v1/objects/" + id + ".json"), nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << id;
    EXPECT_EQ(r["status"], "done");
  }
  // Every request went through the verifying proxy: no signature was refused.
  EXPECT_FALSE(absl::StrContains(s3.ProxyLog(), "SignatureDoesNotMatch"))
      << s3.ProxyLog();
}

TEST(S3SpineTest, WrongCredentialsGiveAClearErrorAndLoseNothing) {
  S3Peer s3;
  ASSERT_TRUE(s3.Start());
  const std::string wrong = "not-the-secret-42";
  EbbUp up(S3Config(s3, wrong));
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a locked vault"}});
  ASSERT_EQ(ids.size(), 1u) << up.log();
  // The worker's log names the store and the refusal, never the secret.
  std::string logs;
  ASSERT_TRUE(WaitUntil(
      [&] {
        nlohmann::json jobs = up.Get("/api/v1/jobs");
        if (jobs.is_null()) return false;
        for (const auto& j : jobs["jobs"]) {
          std::string out;
          up.Ebb({"logs", j["name"], "--server", up.server(), "--data-dir",
                  up.data_dir()},
                 &out);
          if (absl::StrContains(out, "403")) {
            logs = out;
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60)))
      << up.log();
  EXPECT_TRUE(absl::StrContains(logs, "s3://images at " + s3.ProxyEndpoint()))
      << logs;
  EXPECT_FALSE(absl::StrContains(logs, wrong)) << logs;
  // Not lost: with ebb up and its workers gone, the request is back in its
  // queue (or, after every attempt, in the dead-letter queue).
  up.Kill();
  for (pid_t p : up.WorkerPids()) ::kill(p, SIGKILL);
  queue::RabbitMqOptions o;
  o.url = TestAmqpUrl();
  auto mq = queue::RabbitMqQueue::Connect(o);
  ASSERT_TRUE(mq.ok()) << mq.status();
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto ready = (*mq)->Depth(up.queue());
        auto dead = (*mq)->Depth(queue::DeadLetterQueueName(up.queue()));
        return (ready.ok() ? ready->ready : 0) +
                   (dead.ok() ? dead->ready : 0) >=
               1;
      },
      absl::Seconds(30)));
  EXPECT_TRUE(BucketKeys(s3).empty());
}

TEST(S3SpineTest, S3DownDuringUploadIsRetriedAndNoRecordPrecedesItsImages) {
  S3Peer s3;
  ASSERT_TRUE(s3.Start());
  EbbUpConfig c = S3Config(s3, S3Peer::kSecretKey);
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "1500";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a power cut"}, {"count", 2}});
  ASSERT_EQ(ids.size(), 1u);
  // Wait until a worker holds the request, then take S3 away while it renders.
  ASSERT_TRUE(
      WaitUntil([&] { return !up.WorkerPids().empty(); }, absl::Seconds(30)));
  s3.StopS3rver();
  // The proxy logs every signed request it forwards; s3rver being down, the
  // first image's upload gets 503. Bring S3 back only after that (not after
  // the request's progress object, `ID.progress`, which is PUT earlier).
  const std::string put = "verified PUT /images/" + ids[0] + "-1.png";
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(s3.ProxyLog(), put); },
                        absl::Seconds(60)))
      << up.log() << s3.ProxyLog();
  ASSERT_TRUE(s3.StartS3rver());
  std::vector<std::string> keys;
  ASSERT_TRUE(WaitUntil(
      [&] {
        keys = BucketKeys(s3);
        return CountSuffix(keys, ".json") == 1;
      },
      absl::Seconds(120)))
      << up.log();
  EXPECT_EQ(CountSuffix(keys, ".png"), 2);
  nlohmann::json r =
      nlohmann::json::parse(up.GetText("/api/v1/objects/" + ids[0] + ".json"));
  EXPECT_EQ(r["status"], "done");
  // The outage met the upload: the first image was PUT (at least) twice, the
  // 503 and the retry that stored it (by the store's backoff or a later
  // attempt).
  const std::string log = s3.ProxyLog();
  size_t puts = 0;
  for (size_t at = log.find(put); at != std::string::npos;
       at = log.find(put, at + 1))
    ++puts;
  EXPECT_GE(puts, 2u) << log;
}

}  // namespace
}  // namespace ebb::testing
