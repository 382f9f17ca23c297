// SPDX-License-Identifier: Apache-2.0
//
// An outage of `ebb up` longer than a lease and than the old ~25 s limit:
// running workers finish their requests, keep the results, retry their acks
// until `ebb up` is back, and the restarted `ebb up` adopts their jobs. The
// outage is EBB_TEST_OUTAGE_S seconds (default 45); the workers' backoff is
// capped at 2 s so the test stays quick. bench/outage.sh runs the same path
// with a five-minute outage and the default backoff.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

absl::Duration OutageLength() {
  int s = 45;
  const char* v = std::getenv("EBB_TEST_OUTAGE_S");
  if (v != nullptr && absl::SimpleAtoi(v, &s) && s > 0) return absl::Seconds(s);
  return absl::Seconds(45);
}

// name -> state of every job the API lists.
std::map<std::string, std::string> Jobs(const EbbUp& up) {
  std::map<std::string, std::string> out;
  nlohmann::json j = up.Get("/api/v1/jobs");
  if (!j.is_object() || !j.contains("jobs")) return out;
  for (const auto& job : j["jobs"]) out[job["name"]] = job["state"];
  return out;
}

TEST(OutageTest, RunningJobsRideOutAnOutageOfEbbUpAndAreAdopted) {
  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = 2;  // both created before the kill: none mid-create
  c.worker_env = {{"EBB_SIM_LOAD_MS", "100"}, {"EBB_SIM_INFERENCE_MS", "4000"}};
  // bench/outage.sh keeps the workers' default backoff (0.5 s doubling to
  // 10 s), as a user's workers have.
  const char* keep = std::getenv("EBB_TEST_OUTAGE_DEFAULT_BACKOFF");
  if (keep == nullptr || std::string(keep) != "1") {
    c.worker_env["EBB_QUEUE_RETRY_INITIAL_MS"] = "200";
    c.worker_env["EBB_QUEUE_RETRY_MAX_DELAY_MS"] = "2000";
  }
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a lighthouse in fog"}, {"repeat", 5}});
  ASSERT_EQ(ids.size(), 5u) << up.log();

  // Kill `ebb up` while workers hold requests mid-inference.
  std::set<std::string> running;
  ASSERT_TRUE(WaitUntil(
      [&] {
        running.clear();
        for (const auto& id : ids) {
          nlohmann::json r = up.Get("/api/v1/requests/" + id);
          if (r.is_object() && r["status"] == "running") running.insert(id);
        }
        return running.size() >= 2;
      },
      absl::Seconds(60)))
      << up.log();
  std::map<std::string, std::string> before = Jobs(up);
  up.Kill();
  const absl::Time killed = absl::Now();

  // Meanwhile the held requests finish and their results are stored.
  EXPECT_TRUE(WaitUntil(
      [&] {
        std::set<std::string> records = up.Records();
        for (const auto& id : running) {
          if (!records.count(id)) return false;
        }
        return true;
      },
      OutageLength()));
  const absl::Duration stored_after = absl::Now() - killed;
  // The rest of the outage: longer than a lease (60 s counted from the last
  // renewal) only with EBB_TEST_OUTAGE_S >= 60; longer than the old limit
  // (~25 s) always. Nothing to wait for: time passing is the point.
  absl::SleepFor(killed + OutageLength() - absl::Now());
  EXPECT_FALSE(up.WorkerPids().empty())
      << "every worker exited during the outage";

  ASSERT_TRUE(up.Start()) << up.log();
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(WaitUntil(
      [&] {
        nlohmann::json q = up.Get("/api/v1/queues/tasks");
        return q.is_object() && q["leased"] == 0 && q["ready"] == 0 &&
               up.Records().size() == 5;
      },
      absl::Seconds(120)))
      << up.log();
  std::cout << "outage of ebb up: " << absl::FormatDuration(OutageLength())
            << "; " << running.size()
            << " request(s) held at the kill, their results stored "
            << absl::FormatDuration(
                   absl::Trunc(stored_after, absl::Milliseconds(100)))
            << " after it; all 5 done and acked "
            << absl::FormatDuration(absl::Trunc(absl::Now() - restarted,
                                                absl::Milliseconds(100)))
            << " after the restart\n";

  for (const auto& id : ids) {
    nlohmann::json r = up.Record(id);
    EXPECT_EQ(r["status"], "done") << id;
    EXPECT_EQ(r["attempt"], 1) << id << ": " << r.dump();
    if (running.count(id)) {
      EXPECT_TRUE(before.count(r["worker"].get<std::string>()))
          << id << " was finished by " << r["worker"]
          << ", not by the job that held it";
    }
  }
  ASSERT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 0; }, absl::Seconds(60)))
      << up.log();
  // Every job running at the kill was adopted and followed to success.
  std::map<std::string, std::string> after = Jobs(up);
  for (const auto& [name, state] : before) {
    if (state != "running" && state != "pending") continue;
    ASSERT_TRUE(after.count(name)) << name << " vanished";
    EXPECT_EQ(after[name], "succeeded") << name;
  }
  for (const auto& [name, state] : after) EXPECT_NE(state, "failed") << name;
  nlohmann::json q = up.Get("/api/v1/queues/tasks");
  ASSERT_TRUE(q.is_object());
  EXPECT_EQ(q["ready"], 0);
  EXPECT_EQ(q["leased"], 0);
  EXPECT_EQ(q.value("dead", 0), 0);
  int files = 0;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(up.store_dir(), ec)) {
    files += e.path().filename().string()[0] == '.' ? 0 : 1;
  }
  EXPECT_EQ(files, 10);  // 5 PNGs + 5 records: no second result set
}

}  // namespace
}  // namespace ebb::testing
