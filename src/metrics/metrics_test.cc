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
