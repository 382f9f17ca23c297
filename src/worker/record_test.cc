// SPDX-License-Identifier: Apache-2.0
#include "worker/record.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ebb::worker {
namespace {

TEST(RecordTest, KeysFollowTheDemoNaming) {
  EXPECT_EQ(ImageKey("abc", 1), "abc-1.png");
  EXPECT_EQ(RecordKey("abc"), "abc.json");
}

TEST(RecordTest, DoneRecordHasEveryField) {
  ResultRecord r;
  r.task.id = "abc";
  r.task.prompt = "\"cat\"";
  r.task.count = 2;
  r.task.steps = 4;
  r.task.width = 256;
  r.task.height = 128;
  r.task.guidance_scale = 1.5;
  r.seed = 99;
  r.model = "ebb-sim";
  r.done = true;
  r.attempt = 2;
  r.worker = "job-x";
  r.queue_wait_ms = 1500;
  r.model_load_ms = 10;
  r.inference_ms = 20;
  r.upload_ms = 30;
  r.created_at = absl::FromUnixMillis(1767225600123);
  r.images = {"abc-1.png", "abc-2.png"};
  auto j = nlohmann::json::parse(RecordJson(r));
  EXPECT_EQ(j["prompt"], "\"cat\"");
  EXPECT_EQ(j["negative_prompt"], "");
  EXPECT_EQ(j["image_width"], 256);
  EXPECT_EQ(j["image_height"], 128);
  EXPECT_EQ(j["inference_steps"], 4);
  EXPECT_EQ(j["guidance_scale"], 1.5);
  EXPECT_EQ(j["number_of_images"], 2);
  EXPECT_EQ(j["seed"], 99);
  EXPECT_EQ(j["lcm_model_id"], "ebb-sim");
  EXPECT_EQ(j["id"], "abc");
  EXPECT_EQ(j["model"], "ebb-sim");
  EXPECT_EQ(j["status"], "done");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_EQ(j["worker"], "job-x");
  EXPECT_EQ(j["queue_wait_ms"], 1500);
  EXPECT_EQ(j["model_load_ms"], 10);
  EXPECT_EQ(j["inference_ms"], 20);
  EXPECT_EQ(j["upload_ms"], 30);
  EXPECT_EQ(j["created_at"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(j["images"], nlohmann::json({"abc-1.png", "abc-2.png"}));
  EXPECT_EQ(j.size(), 21u);
}

TEST(RecordTest, FailedRecordCarriesTheErrorAndNullWait) {
  ResultRecord r;
  r.task.id = "abc";
  r.error = "simulated failure";
  auto j = nlohmann::json::parse(RecordJson(r));
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error"], "simulated failure");
  EXPECT_TRUE(j["queue_wait_ms"].is_null());
  EXPECT_TRUE(j["images"].empty());
}

}  // namespace
}  // namespace ebb::worker
