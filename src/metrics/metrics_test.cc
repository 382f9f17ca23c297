// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics.h"

#include "gtest/gtest.h"

namespace ebb::metrics {
namespace {

TEST(RegistryTest, ExpositionHasHelpTypeAndEscapedLabels) {
  Registry r;
  r.Describe("keda_scaler_active", "gauge", "Activity of a scaler");
  r.Set("keda_scaler_active", {{"scaledObject", "a\"b"}, {"type", "scaledjob"}},
        1);
  EXPECT_EQ(
      r.Exposition(),
      "# HELP keda_scaler_active Activity of a scaler\n"
      "# TYPE keda_scaler_active gauge\n"
      "keda_scaler_active{scaledObject=\"a\\\"b\",type=\"scaledjob\"} 1\n");
}

TEST(RegistryTest, HistogramsExposeCumulativeBucketsSumAndCount) {
  Registry r;
  r.Describe("ebb_x_seconds", "histogram", "X.");
  for (double v : {0.05, 0.5, 0.5, 3.0}) {
    r.Observe("ebb_x_seconds", {{"model", "m"}}, v, {0.1, 1});
  }
  EXPECT_EQ(r.Count("ebb_x_seconds", {{"model", "m"}}), 4u);
  const std::string text = r.Exposition();
  EXPECT_NE(text.find("# TYPE ebb_x_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("ebb_x_seconds_bucket{model=\"m\",le=\"0.1\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ebb_x_seconds_bucket{model=\"m\",le=\"1\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("ebb_x_seconds_bucket{model=\"m\",le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("ebb_x_seconds_sum{model=\"m\"} 4.0499999999999998\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ebb_x_seconds_count{model=\"m\"} 4\n"),
            std::string::npos);
  r.Remove("ebb_x_seconds", {{"model", "m"}});
  EXPECT_EQ(r.Count("ebb_x_seconds", {{"model", "m"}}), 0u);
}

TEST(RegistryTest, CountersAccumulateAndRemoveMatches) {
  Registry r;
  r.Describe("ebb_jobs_created_total", "counter", "Jobs created");
  r.Add("ebb_jobs_created_total", {{"scaledJob", "x"}}, 2);
  r.Add("ebb_jobs_created_total", {{"scaledJob", "x"}});
  EXPECT_EQ(r.Get("ebb_jobs_created_total", {{"scaledJob", "x"}}), 3);
  r.Remove("ebb_jobs_created_total", {{"scaledJob", "x"}});
  EXPECT_EQ(r.Get("ebb_jobs_created_total", {{"scaledJob", "x"}}), 0);
}

}  // namespace
}  // namespace ebb::metrics
