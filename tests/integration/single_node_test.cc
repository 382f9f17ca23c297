// SPDX-License-Identifier: Apache-2.0
//
// Single-node ebb: `ebb up` with no manifests runs the embedded queue, the
// built-in ScaledJob and `ebb worker` jobs that reach the queue over the HTTP
// API.
#include <algorithm>
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

EbbUpConfig SingleNode() {
  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = 4;
  c.worker_env = {{"EBB_SIM_LOAD_MS", "100"}, {"EBB_SIM_INFERENCE_MS", "300"}};
  return c;
}

int StoredFiles(const EbbUp& up) {
  int n = 0;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(up.store_dir(), ec)) {
    n += e.path().filename().string()[0] == '.' ? 0 : 1;
  }
  return n;
}

TEST(SingleNodeTest, TwentyRequestsAllDoneThenJobsBackToZero) {
  EbbUp up(SingleNode());
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a tidal pool"}, {"repeat", 20}});
  ASSERT_EQ(ids.size(), 20u) << up.log();
  int most = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        most = std::max(most, up.UnfinishedJobs());
        return up.Records().size() == 20;
      },
      absl::Seconds(150)))
      << up.log();
  EXPECT_LE(most, 4);
  EXPECT_GE(most, 2);
  for (const auto& id : ids) {
    nlohmann::json r = up.Get("/api/v1/requests/" + id);
    ASSERT_FALSE(r.is_null()) << id;
    EXPECT_EQ(r["status"], "done") << r.dump();
    EXPECT_EQ(up.Record(id)["status"], "done");
  }
  EXPECT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 0; }, absl::Seconds(30)));
  EXPECT_EQ(StoredFiles(up), 40);  // 20 PNGs + 20 records, no duplicates
  nlohmann::json q = up.Get("/api/v1/queues/tasks");
  ASSERT_FALSE(q.is_null());
  EXPECT_EQ(q["ready"], 0);
  EXPECT_EQ(q["leased"], 0);
}

TEST(SingleNodeTest, CrashOfEbbUpLosesNothingAndDuplicatesNothing) {
  EbbUpConfig c = SingleNode();
  c.worker_env["EBB_SIM_INFERENCE_MS"] = "1500";
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  auto ids = up.Submit({{"prompt", "a salt marsh"}, {"repeat", 6}});
  ASSERT_EQ(ids.size(), 6u);
  ASSERT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() >= 2; }, absl::Seconds(30)));
  up.Kill();  // the queue's file stays; running workers lose their queue for a
              // while
  ASSERT_TRUE(up.Start()) << up.log();
  ASSERT_TRUE(
      WaitUntil([&] { return up.Records().size() == 6; }, absl::Seconds(180)))
      << up.log();
  for (const auto& id : ids) EXPECT_EQ(up.Record(id)["status"], "done") << id;
  EXPECT_TRUE(
      WaitUntil([&] { return up.UnfinishedJobs() == 0; }, absl::Seconds(60)));
  EXPECT_EQ(StoredFiles(up), 12);
}

}  // namespace
}  // namespace ebb::testing
