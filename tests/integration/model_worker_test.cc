// SPDX-License-Identifier: Apache-2.0
//
// The real diffusion pipeline through ebb's commands, on the tests' tiny
// random model (ebb-tiny-model): `ebb up` whose worker job runs
// `--model DIR` (in ebb-diffusion, DEVICE=GPU falling back to the CPU),
// `ebb generate`, `ebb tokenize`, and the errors users hit.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/text_to_image.h"
#include "tests/harness/harness.h"
#include "tests/integration/ebb_up_fixture.h"

namespace ebb::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last line of `out` that parses as a JSON object (stdout and stderr are
// merged; logs go to stderr).
nlohmann::json LastJson(const std::string& out) {
  std::istringstream in(out);
  nlohmann::json last;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) last = j;
  }
  return last;
}

// Submits one request and waits (2 minutes at most) for its record; null when
// none came. *id (may be null) receives its id.
nlohmann::json SubmitAndWait(EbbUp& up, const nlohmann::json& body,
                             std::string* id = nullptr) {
  auto ids = up.Submit(body);
  if (ids.size() != 1) return nullptr;
  if (id != nullptr) *id = ids[0];
  if (!WaitUntil([&] { return up.Records().count(ids[0]) == 1; },
                 absl::Seconds(120))) {
    return nullptr;
  }
  return up.Record(ids[0]);
}

class ModelWorkerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("ebb_model_worker"));
    ASSERT_EQ(RunCommand({EBB_TINY_MODEL_BIN, *dir_ + "/tiny"}), 0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string Model() { return *dir_ + "/tiny"; }
  static std::string* dir_;
};
std::string* ModelWorkerTest::dir_ = nullptr;

TEST_F(ModelWorkerTest, EbbUpJobRunsTheRealModelAndRecordsWhereTheTimeWent) {
  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = 1;
  c.worker_env = {{"EBB_MODEL", Model()}, {"DEVICE", "GPU"}};
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  std::string id;
  nlohmann::json r = SubmitAndWait(up,
                                   {{"prompt", "a lighthouse at dusk"},
                                    {"width", 64},
                                    {"height", 64},
                                    {"steps", 2},
                                    {"seed", 4},
                                    {"scheduler", "ddim"}},
                                   &id);
  ASSERT_EQ(r["status"], "done") << r.dump(2) << up.log();
  EXPECT_EQ(r["model"], "tiny");
  EXPECT_EQ(r["scheduler"], "ddim");
  EXPECT_EQ(r["steps"], 2);
  EXPECT_EQ(r["device"], "cpu");  // DEVICE=GPU fell back
  EXPECT_EQ(r["truncated"], false);
  EXPECT_GT(r["prompt_tokens"].get<int>(), 0);
  for (const char* k : {"text_encode_ms", "denoise_ms", "decode_ms"}) {
    EXPECT_TRUE(r[k].is_number_integer()) << k << ": " << r.dump(2);
  }
  EXPECT_EQ(r["native_width"], 64);
  EXPECT_EQ(r["image_width"], 64);
  auto png =
      inference::DecodePng(ReadAll(fs::path(up.store_dir()) / (id + "-1.png")));
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(png->width, 64);
  EXPECT_EQ(png->height, 64);
  // The worker's log, in its job directory, has the fallback warning.
  std::string logs;
  for (const auto& e : fs::recursive_directory_iterator(up.data_dir())) {
    if (e.path().extension() == ".log") logs += ReadAll(e.path());
  }
  EXPECT_THAT(logs, HasSubstr("running on the CPU"));
  EXPECT_THAT(logs, HasSubstr("device cpu, dtype f32"));
}

// No model named: `ebb generate` and the jobs of `ebb up` run the bundled
// model (models/ebb-shapes) through ebb-diffusion, with the steps and
// guidance its model_index.json declares, generated at its native 32x32 and
// upscaled; the API offers its example prompts.
TEST_F(ModelWorkerTest, TheBundledModelIsTheDefault) {
  const nlohmann::json declared = nlohmann::json::parse(ReadAll(
      fs::path(SourceDir()) / "models/ebb-shapes/model_index.json"))["ebb"];
  std::string out;
  ASSERT_EQ(
      RunCommand({EbbBinary(), "generate", "a red circle on a blue background",
                  "--seed", "3", "--width", "64", "--height", "64", "--threads",
                  "1", "--out-dir", *dir_ + "/bundled", "-o", "json"},
                 &out),
      0)
      << out;
  nlohmann::json j = LastJson(out);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["model"], "ebb-shapes");
  ASSERT_EQ(j["images"].size(), 1u);
  EXPECT_EQ(j["images"][0]["steps"], declared["default_steps"]);
  EXPECT_EQ(j["images"][0]["native_width"], 32);
  EXPECT_EQ(j["images"][0]["width"], 64);

  EbbUpConfig c;
  c.single_node = true;
  c.max_replica_count = 1;
  c.worker_env = {{"EBB_MODEL", ""}, {"EBB_CPU_LIMIT", "1"}};
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  nlohmann::json model = up.Get("/api/v1/model");
  EXPECT_EQ(model["model"], "ebb-shapes") << model.dump();
  EXPECT_EQ(model["bundled"], true);
  EXPECT_GE(model["example_prompts"].size(), 3u);
  nlohmann::json r = SubmitAndWait(
      up,
      {{"prompt", "a yellow triangle on a purple background"}, {"seed", 5}});
  ASSERT_EQ(r["status"], "done") << r.dump(2) << up.log();
  EXPECT_EQ(r["model"], "ebb-shapes");
  EXPECT_EQ(r["steps"], declared["default_steps"]);
  EXPECT_EQ(r["guidance_scale"], declared["default_guidance_scale"]);
  EXPECT_EQ(r["native_width"], 32);
  EXPECT_EQ(r["image_width"], 512);
}

// With the seed's manifests, GET /api/v1/model names the model the image
// map's env gives the workers (ebb-local.yaml is where docs say to set
// EBB_MODEL), not the bundled default; its example prompts follow it.
TEST_F(ModelWorkerTest, ManifestModeNamesTheModelTheWorkersAreGiven) {
  EbbUpConfig c;
  c.amqp_url = TestAmqpUrl();
  c.max_replica_count = 1;
  c.worker_env = {{"EBB_MODEL", Model()}};
  EbbUp up(c);
  ASSERT_TRUE(up.Start()) << up.log();
  nlohmann::json model = up.Get("/api/v1/model");
  EXPECT_EQ(model["model"], "tiny") << model.dump();
  EXPECT_EQ(model["bundled"], false);
  EXPECT_THAT(up.log(), HasSubstr("serve model tiny"));
}

TEST_F(ModelWorkerTest, GenerateWritesPngsAndSaysWhereTheTimeWent) {
  const std::string out_dir = *dir_ + "/gen";
  std::string out;
  ASSERT_EQ(
      RunCommand({EbbBinary(), "generate", "-m",        Model(), "a red cube",
                  "--width",   "64",       "--height",  "64",    "--steps",
                  "2",         "--seed",   "9",         "-c",    "2",
                  "--threads", "1",        "--out-dir", out_dir, "-o",
                  "json"},
                 &out),
      0)
      << out;
  nlohmann::json j = LastJson(out);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["threads"], 1);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][1]["seed"], 10);
  EXPECT_EQ(j["images"][0]["step_ms"].size(), 2u);
  EXPECT_EQ(j["images"][0]["scheduler"], "euler");
  for (const auto& image : j["images"]) {
    auto png = inference::DecodePng(ReadAll(image["file"].get<std::string>()));
    ASSERT_TRUE(png.ok()) << image.dump();
    EXPECT_EQ(png->width, 64);
  }
  // Same request, same bytes; the text output names every phase.
  std::string again;
  ASSERT_EQ(RunCommand({EbbBinary(), "generate", "-m", Model(), "a red cube",
                        "--width", "64", "--height", "64", "--steps", "2",
                        "--seed", "9", "--out-dir", *dir_ + "/gen2"},
                       &again),
            0)
      << again;
  EXPECT_EQ(ReadAll(*dir_ + "/gen2/ebb-9.png"),
            ReadAll(out_dir + "/ebb-9.png"));
  for (const char* phase :
       {"loaded in", "tokenize", "text encoder", "step 1", "step 2", "decode",
        "png", ", write ", "ebb-9.png"}) {
    EXPECT_THAT(again, HasSubstr(phase));
  }
  // --prediction-type overrides the folder's epsilon (the same seed gives
  // another image); EBB_PREDICTION_TYPE in a job's env does the same.
  const std::vector<std::string> v_args = {
      EbbBinary(), "generate", "-m",       Model(), "a red cube",
      "--width",   "64",       "--height", "64",    "--steps",
      "2",         "--seed",   "9"};
  std::vector<std::string> flag = v_args;
  flag.insert(flag.end(), {"--prediction-type", "v_prediction", "--out-dir",
                           *dir_ + "/gen-v"});
  ASSERT_EQ(RunCommand(flag, &again), 0) << again;
  EXPECT_THAT(again, HasSubstr("prediction v_prediction"));
  std::vector<std::string> env = v_args;
  env.insert(env.end(), {"--out-dir", *dir_ + "/gen-v-env"});
  ASSERT_EQ(RunCommand(env, &again, {{"EBB_PREDICTION_TYPE", "v_prediction"}}),
            0)
      << again;
  const std::string v = ReadAll(*dir_ + "/gen-v/ebb-9.png");
  EXPECT_FALSE(v.empty());
  EXPECT_NE(v, ReadAll(out_dir + "/ebb-9.png"));
  EXPECT_EQ(v, ReadAll(*dir_ + "/gen-v-env/ebb-9.png"));
}

TEST_F(ModelWorkerTest, GenerateErrorsAreClear) {
  std::string out;
  EXPECT_EQ(RunCommand({EbbBinary(), "generate", "-m", Model(), "x", "--bogus"},
                       &out),
            2)
      << out;
  EXPECT_EQ(RunCommand({EbbBinary(), "generate", "-m", Model(), "x",
                        "--scheduler", "dpm"},
                       &out),
            2);
  EXPECT_EQ(RunCommand({EbbBinary(), "generate", "-m", Model(), "x",
                        "--prediction-type", "sample"},
                       &out),
            2);
  EXPECT_THAT(out, HasSubstr("v_prediction"));
  EXPECT_EQ(RunCommand({EbbBinary(), "generate", "-m", *dir_ + "/nowhere", "x"},
                       &out),
            1);
  EXPECT_THAT(out, HasSubstr("does not exist"));
  EXPECT_EQ(RunCommand({EbbBinary(), "generate", "-m", Model(), "x", "--device",
                        "cuda"},
                       &out),
            1);
  EXPECT_THAT(out, HasSubstr("no CUDA"));
  // The worker refuses --device cuda the same way, before taking anything.
  EXPECT_EQ(RunCommand({EbbBinary(), "worker", "--model", Model(), "--device",
                        "cuda", "--store", *dir_ + "/store"},
                       &out, {{"EBB_QUEUE_URL", "http://127.0.0.1:1"}}),
            1);
  EXPECT_THAT(out, HasSubstr("no CUDA"));
}

TEST_F(ModelWorkerTest, TokenizePrintsClipIdsAndTruncation) {
  std::string out;
  ASSERT_EQ(RunCommand({EbbBinary(), "tokenize", "-m", Model(),
                        "a photo of a cat", "-o", "json"},
                       &out),
            0)
      << out;
  nlohmann::json j = LastJson(out);
  ASSERT_TRUE(j.is_object()) << out;
  std::vector<int> head(j["ids"].begin(), j["ids"].begin() + 7);
  EXPECT_EQ(head, (std::vector<int>{49406, 320, 1125, 539, 320, 2368, 49407}));
  EXPECT_EQ(j["ids"].size(), 77u);
  EXPECT_EQ(j["ids"][7], j["pad_id"]);
  EXPECT_EQ(j["content_tokens"], 5);
  EXPECT_EQ(j["truncated"], false);
  std::string long_prompt;
  for (int i = 0; i < 80; ++i) long_prompt += "cat ";
  ASSERT_EQ(
      RunCommand({EbbBinary(), "tokenize", "-m", Model(), long_prompt}, &out),
      0);
  EXPECT_THAT(out, HasSubstr("80 content token(s) of 75 allowed: TRUNCATED"));
  EXPECT_EQ(
      RunCommand({EbbBinary(), "tokenize", "-m", *dir_ + "/none", "x"}, &out),
      1);
}

}  // namespace
}  // namespace ebb::testing
