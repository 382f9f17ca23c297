// SPDX-License-Identifier: Apache-2.0
//
// The spine's command line against a running `ebb up`: status, jobs, logs,
// submit (through ebb and direct), metrics, SIGHUP reload and the Ctrl-C drain.
#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

EbbUpConfig Config() {
  EbbUpConfig c;
  c.amqp_url = TestAmqpUrl();
  c.polling_interval = 1;
  c.worker_env = {{"EBB_SIM_LOAD_MS", "100"}, {"EBB_SIM_INFERENCE_MS", "300"}};
  return c;
}

std::vector<std::string> ServerArgs(const EbbUp& up) {
  return {"--server", up.server(), "--data-dir", up.data_dir()};
}

std::vector<std::string> Cmd(std::vector<std::string> args, const EbbUp& up) {
  for (const auto& a : ServerArgs(up)) args.push_back(a);
  return args;
}

TEST(SpineCliTest, SubmitStatusJobsLogsAndMetrics) {
  EbbUpConfig c = Config();
  // The seed keeps no finished job (successfulJobsHistoryLimit: 0): one that
  // finished before `ebb jobs` looked would be gone. Keep them, so the job
  // list below does not depend on how fast the worker was.
  c.manifest_edits = {
      {"successfulJobsHistoryLimit: 0", "successfulJobsHistoryLimit: 10"}};
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  std::string out;
  ASSERT_EQ(
      up.Ebb(Cmd({"submit", "a paper boat", "--count", "2", "-o", "json"}, up),
             &out),
      0)
      << out;
  auto submitted =
      nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(submitted.is_discarded()) << out;
  EXPECT_EQ(submitted["via"], "ebb up");
  const std::string id = submitted["ids"][0];
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().count(id) == 1; }, absl::Seconds(60)))
      << up.log();

  ASSERT_EQ(up.Ebb(Cmd({"status"}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "stable-diff-job")) << out;
  ASSERT_EQ(up.Ebb(Cmd({"status", "-o", "json"}, up), &out), 0) << out;
  auto status =
      nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << out;
  EXPECT_EQ(status["scaledJobs"][0]["maxReplicaCount"], 4);
  EXPECT_FALSE(status["scaledJobs"][0]["last"].is_null());

  // A finished job (kept by the history limit above): its log is complete.
  nlohmann::json job_json;
  ASSERT_TRUE(WaitUntil(
      [&] {
        if (up.Ebb(Cmd({"jobs", "-o", "json"}, up), &out) != 0 ||
            out.find('{') == std::string::npos) {
          return false;
        }
        auto jobs =
            nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
        if (jobs.is_discarded()) return false;
        for (const auto& j : jobs["jobs"]) {
          if (j["state"] == "succeeded") job_json = j;
        }
        return !job_json.is_null();
      },
      absl::Seconds(60)))
      << out << up.log();
  const std::string job = job_json["name"];
  EXPECT_EQ(job_json["scaledJob"], "stable-diff-job");
  ASSERT_EQ(up.Ebb(Cmd({"logs", job}, up), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "worker")) << out;
  EXPECT_NE(up.Ebb(Cmd({"logs", "no-such-job"}, up), &out), 0);

  // A usage error is exit code 2 and names the rule.
  ASSERT_EQ(up.Ebb(Cmd({"submit", "x", "--count", "9"}, up), &out), 2) << out;

  const std::string metrics = up.GetText("/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, "keda_scaler_metrics_value{"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "ebb_jobs_created_total{")) << metrics;
  EXPECT_FALSE(absl::StrContains(metrics, "guest:guest")) << metrics;
}

TEST(SpineCliTest, DirectSubmitWithoutEbbUpPublishesToTheBroker) {
  EbbUp up(
      Config());  // not started: `ebb submit` must go straight to the broker
  std::string out;
  ASSERT_EQ(
      up.Ebb(Cmd({"submit", "a kite", "-n", "2", "-f", up.manifests()}, up),
             &out),
      0)
      << out;
  ASSERT_TRUE(up.Start()) << up.log();
  // Seen at the next poll (a foreign publish, from ebb up's point of view).
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().size() == 2; }, absl::Seconds(60)))
      << up.log();
}

TEST(SpineCliTest, SighupReloadsTheManifests) {
  EbbUp up(Config());
  ASSERT_TRUE(up.Start()) << up.log();
  std::ifstream in(up.manifests());
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::ofstream(up.manifests()) << absl::StrReplaceAll(
      text, {{"maxReplicaCount: 4", "maxReplicaCount: 2"}});
  up.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto sj = up.Get("/api/v1/scaledjobs");
        return !sj.is_null() && sj["scaledJobs"][0]["maxReplicaCount"] == 2;
      },
      absl::Seconds(20)))
      << up.log();
  // A broken edit is refused and the manifests in force stay.
  std::ofstream(up.manifests())
      << "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\n  bad: [\n";
  up.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return absl::StrContains(up.log(), "keeping the manifests"); },
      absl::Seconds(20)))
      << up.log();
  EXPECT_EQ(up.Get("/api/v1/scaledjobs")["scaledJobs"][0]["maxReplicaCount"],
            2);
}

TEST(SpineCliTest, InterruptStopsCreatingAndWaitsForRunningJobs) {
  EbbUpConfig c = Config();
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "1500";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a windmill"}, {"repeat", 6}});
  ASSERT_EQ(ids.size(), 6u);
  ASSERT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 4; }, absl::Seconds(30)));
  EXPECT_EQ(up.Interrupt(SIGINT), 0);
  // The four running jobs finished before `ebb up` exited; no job was created
  // after.
  EXPECT_EQ(up.Records().size(), 4u) << up.log();
  EXPECT_TRUE(absl::StrContains(up.log(), "drained")) << up.log();
}

}  // namespace
}  // namespace ebb::testing
