// SPDX-License-Identifier: Apache-2.0
//
// DiffusionTextToImage on the tests' tiny random model: the request mapping,
// Image::info, native size and upscaling, stopping between steps, and
// validation before compute.
#include "inference/diffusion/backend/diffusion_text_to_image.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/diffusion/backend/runtime.h"
#include "inference/diffusion/backend/tiny_model.h"

namespace ebb::inference::diffusion {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DiffusionTextToImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("ebb_t2i_" + std::to_string(::getpid())));
    TinyModelOptions o;
    o.merges_path = EBB_CLIP_MERGES;
    ASSERT_TRUE(WriteTinyModel((*dir_ / "tiny").string(), o).ok());
    o.native_width = 64;
    o.native_height = 64;
    ASSERT_TRUE(WriteTinyModel((*dir_ / "native").string(), o).ok());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::unique_ptr<DiffusionTextToImage> Loaded(const std::string& sub) {
    DiffusionOptions o;
    o.path = (*dir_ / sub).string();
    auto m = DiffusionTextToImage::Create(o);
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return nullptr;
    absl::Status s = (*m)->Load();
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? std::move(*m) : nullptr;
  }
  static GenerateRequest Request() {
    GenerateRequest r;
    r.prompt = "a lighthouse at dusk";
    r.width = 64;
    r.height = 64;
    r.seed = 11;
    r.steps = 2;
    return r;
  }
  static fs::path* dir_;
};
fs::path* DiffusionTextToImageTest::dir_ = nullptr;

TEST_F(DiffusionTextToImageTest, GeneratesAndFillsWhatRanAndWhereTheTimeWent) {
  auto m = Loaded("tiny");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ModelName(), "tiny");
  GenerateRequest r = Request();
  r.scheduler = "ddim";
  int calls = 0;
  r.on_step = [&](const StepProgress& p) {
    EXPECT_EQ(p.step, ++calls);
    EXPECT_EQ(p.steps, 2);
    return StepAction::kContinue;
  };
  auto image = m->Generate(r);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(image->width, 64);
  EXPECT_EQ(image->pixels.size(), 64u * 64 * 3);
  const GenerationInfo& info = image->info;
  EXPECT_EQ(info.scheduler, "ddim");
  EXPECT_EQ(info.steps, 2);
  EXPECT_EQ(info.prompt_tokens, 4);
  EXPECT_FALSE(info.truncated);
  EXPECT_EQ(info.device, "cpu");
  EXPECT_EQ(info.step_ms.size(), 2u);
  EXPECT_GT(info.text_encode_ms, 0);
  EXPECT_GT(info.denoise_ms, 0);
  EXPECT_GT(info.decode_ms, 0);
  EXPECT_EQ(info.native_width, 0);  // generated at the delivered size
  r.on_step = nullptr;
  auto again = m->Generate(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pixels, image->pixels);
}

TEST_F(DiffusionTextToImageTest, LongPromptIsTruncatedAndSaysSo) {
  auto m = Loaded("tiny");
  ASSERT_NE(m, nullptr);
  GenerateRequest r = Request();
  r.steps = 1;
  r.prompt = "";
  for (int i = 0; i < 100; ++i) r.prompt += "cat ";
  auto image = m->Generate(r);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->info.prompt_tokens, 100);
  EXPECT_TRUE(image->info.truncated);
}

TEST_F(DiffusionTextToImageTest, LargerThanNativeIsGeneratedNativeAndUpscaled) {
  auto m = Loaded("native");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->native_size().has_value());
  GenerateRequest r = Request();
  r.width = 128;
  r.height = 96;
  auto image = m->Generate(r);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, 128);
  EXPECT_EQ(image->height, 96);
  EXPECT_EQ(image->pixels.size(), 128u * 96 * 3);
  EXPECT_EQ(image->info.native_width, 64);
  EXPECT_EQ(image->info.native_height, 64);
  r.width = 2050;  // still validated at the delivered size
  EXPECT_EQ(m->Generate(r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DiffusionTextToImageTest, StopBetweenStepsIsCancelled) {
  auto m = Loaded("tiny");
  ASSERT_NE(m, nullptr);
  GenerateRequest r = Request();
  r.steps = 4;
  r.on_step = [](const StepProgress& p) {
    return p.step >= 2 ? StepAction::kStop : StepAction::kContinue;
  };
  auto image = m->Generate(r);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(image.status().message(), HasSubstr("step 2 of 4"));
}

TEST_F(DiffusionTextToImageTest, BadRequestsAreRefusedBeforeCompute) {
  auto m = Loaded("tiny");
  ASSERT_NE(m, nullptr);
  GenerateRequest r = Request();
  r.on_step = [](const StepProgress&) {
    ADD_FAILURE() << "computed a bad request";
    return StepAction::kContinue;
  };
  r.scheduler = "dpm++";
  EXPECT_EQ(m->Generate(r).status().code(), absl::StatusCode::kInvalidArgument);
  r.scheduler = "";
  r.width = 100;
  EXPECT_EQ(m->Generate(r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DiffusionTextToImageTest, MissingModelAndBadNativeSizeAreClear) {
  DiffusionOptions o;
  o.path = (*dir_ / "nowhere").string();
  auto missing = DiffusionTextToImage::Create(o);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  fs::path bad = *dir_ / "bad";
  fs::create_directories(bad);
  std::ofstream(bad / "model_index.json")
      << R"({"_class_name": "StableDiffusionPipeline",
             "ebb": {"native_width": 100, "native_height": 64}})";
  o.path = bad.string();
  auto refused = DiffusionTextToImage::Create(o);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("native_width = 100"));
}

TEST(ResolveDeviceTest, GpuFallsBackToCpuWithAWarningCudaFailsClearly) {
  std::string warning;
  EXPECT_EQ(*ResolveDevice("cpu", &warning), "cpu");
  EXPECT_TRUE(warning.empty());
  auto gpu = ResolveDevice("GPU", &warning);
  ASSERT_TRUE(gpu.ok());
  if (*gpu == "cpu") {  // this machine: CPU-only libtorch
    EXPECT_THAT(warning, HasSubstr("running on the CPU"));
    auto cuda = ResolveDevice("cuda", nullptr);
    EXPECT_EQ(cuda.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(cuda.status().message(), HasSubstr("no CUDA"));
  }
  EXPECT_EQ(ResolveDevice("tpu", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ebb::inference::diffusion
