// SPDX-License-Identifier: Apache-2.0
//
// A handful of training steps of the bundled model's trainer writes a
// diffusers folder that the ordinary pipeline loads and runs.
#include "inference/diffusion/train/trainer.h"

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "inference/diffusion/pipeline/pipeline.h"

namespace ebb::inference::diffusion::train {
namespace {

namespace fs = std::filesystem;

TEST(TrainerTest, FewStepsWriteAFolderThePipelineRuns) {
  const fs::path dir =
      fs::temp_directory_path() / ("ebb_train_" + std::to_string(::getpid()));
  TrainOptions o;
  o.out_dir = dir.string();
  o.clip_dir = EBB_CLIP_DIR;
  o.steps = 3;
  o.batch = 4;
  o.unet_channels = {16, 32};
  o.text_width = 32;
  o.text_layers = 1;
  int reports = 0;
  Progress last;
  ASSERT_TRUE(Train(
                  o,
                  [&](const Progress& p) {
                    ++reports;
                    last = p;
                  },
                  1)
                  .ok());
  EXPECT_EQ(reports, 3);
  EXPECT_EQ(last.step, 3);
  EXPECT_GT(last.loss, 0);
  EXPECT_TRUE(fs::exists(dir / "tokenizer/LICENSE"));
  EXPECT_FALSE(fs::exists(dir / "vae"));

  auto p = Pipeline::Load(dir.string());
  ASSERT_TRUE(p.ok()) << p.status();
  PipelineRequest r;
  r.prompt = "a red circle on a blue background";
  r.width = r.height = 32;
  r.steps = 2;
  r.guidance_scale = 2.0;
  auto out = (*p)->Generate(r, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->width, 32);
  EXPECT_EQ(out->rgb.size(), 32u * 32 * 3);
  EXPECT_EQ(out->scheduler, "ddim");
  fs::remove_all(dir);
}

TEST(TrainerTest, RejectsMissingOutputFolder) {
  TrainOptions o;
  EXPECT_EQ(Train(o, {}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ebb::inference::diffusion::train
