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
  inference::GenerationInfo one;
  one.scheduler = "euler";
  one.steps = 4;
  one.prompt_tokens = 80;
  one.truncated = true;
  one.text_encode_ms = 10.4;
  one.denoise_ms = 100.2;
  one.decode_ms = 30;
  one.step_ms = {25, 25, 25, 25.2};
  one.device = "cpu";
  one.native_width = 64;
  one.native_height = 32;
  AddGeneration(one, &r.generation);
  AddGeneration(one, &r.generation);  // two images: phases summed
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
  EXPECT_EQ(j["scheduler"], "euler");
  EXPECT_EQ(j["steps"], 4);
  EXPECT_EQ(j["text_encode_ms"], 21);
  EXPECT_EQ(j["denoise_ms"], 200);
  EXPECT_EQ(j["decode_ms"], 60);
  EXPECT_EQ(j["prompt_tokens"], 80);
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["native_width"], 64);
  EXPECT_EQ(j["native_height"], 32);
  EXPECT_EQ(j.size(), 31u);
}

TEST(RecordTest, NativeSizeIsTheImageSizeWhenNotUpscaled) {
  ResultRecord r;
  r.task.width = 256;
  r.task.height = 128;
  r.done = true;
  AddGeneration(inference::GenerationInfo{}, &r.generation);
  auto j = nlohmann::json::parse(RecordJson(r));
  EXPECT_EQ(j["native_width"], 256);
  EXPECT_EQ(j["native_height"], 128);
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
  for (const char* k : {"scheduler", "steps", "text_encode_ms", "denoise_ms",
                        "decode_ms", "prompt_tokens", "truncated", "device",
                        "native_width", "native_height"}) {
    EXPECT_TRUE(j.contains(k) && j[k].is_null()) << k;
  }
}

}  // namespace
}  // namespace ebb::worker
