// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/threads.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

using ::testing::HasSubstr;

TEST(CpuQuantityTest, ParsesKubernetesQuantities) {
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("2"), 2);
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity("500m"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseCpuQuantity(" 2500m "), 2.5);
  for (const char* bad : {"", "-1", "0", "2Gi", "m", "abc", "1e3"}) {
    EXPECT_FALSE(ParseCpuQuantity(bad).ok()) << bad;
  }
}

TEST(ChooseThreadsTest, CpuLimitWinsRoundedDownWithinOnlineCpus) {
  EXPECT_EQ(ChooseThreads("2", "max 100000", 8).threads, 2);
  EXPECT_EQ(ChooseThreads("1500m", std::nullopt, 8).threads, 1);
  EXPECT_EQ(ChooseThreads("250m", std::nullopt, 8).threads, 1);
  EXPECT_EQ(ChooseThreads("16", std::nullopt, 4).threads, 4);
  EXPECT_EQ(ChooseThreads("3", "100000 100000", 8).threads, 3);
  EXPECT_THAT(ChooseThreads("2", std::nullopt, 8).source,
              HasSubstr("EBB_CPU_LIMIT=2"));
}

TEST(ChooseThreadsTest, CgroupQuotaThenOnlineCpus) {
  EXPECT_EQ(ChooseThreads(std::nullopt, "300000 100000\n", 8).threads, 3);
  EXPECT_EQ(ChooseThreads(std::nullopt, "50000 100000\n", 8).threads, 1);
  EXPECT_EQ(ChooseThreads(std::nullopt, "max 100000\n", 6).threads, 6);
  EXPECT_EQ(ChooseThreads(std::nullopt, std::nullopt, 6).threads, 6);
  EXPECT_THAT(ChooseThreads(std::nullopt, std::nullopt, 6).source,
              HasSubstr("6 online CPUs"));
}

TEST(ChooseThreadsTest, InvalidLimitIsSkippedAndNamed) {
  ThreadChoice c = ChooseThreads("lots", "200000 100000", 8);
  EXPECT_EQ(c.threads, 2);
  EXPECT_THAT(c.source, HasSubstr("EBB_CPU_LIMIT=\"lots\" ignored"));
}

}  // namespace
}  // namespace ebb::inference::diffusion
