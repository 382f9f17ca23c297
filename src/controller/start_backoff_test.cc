// SPDX-License-Identifier: Apache-2.0
#include "controller/start_backoff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ebb::controller {
namespace {

using executors::Job;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

Job FailedToStart(const std::string& name) {
  Job j;
  j.name = name;
  executors::ContainerStatus c;
  c.name = "worker";
  c.state = "terminated";
  c.exit_code = 127;
  c.reason = executors::kStartError;
  c.message = "cannot run /w: Argument list too long";
  j.containers.push_back(c);
  return j;
}

Job Started(const std::string& name, absl::Time at) {
  Job j;
  j.name = name;
  j.started = at;
  j.containers.push_back({.name = "worker", .state = "running"});
  return j;
}

TEST(StartBackoffTest, NothingHeldBackWithoutStartFailures) {
  StartBackoff b;
  b.Observe({Started("a", kT0)}, kT0);
  EXPECT_FALSE(b.Holding(kT0));
  EXPECT_EQ(b.Describe(kT0), "");
}

TEST(StartBackoffTest, StartFailuresDoubleFromTenSecondsToFiveMinutes) {
  StartBackoff b;
  absl::Time now = kT0;
  const absl::Duration want[] = {absl::Seconds(10),  absl::Seconds(20),
                                 absl::Seconds(40),  absl::Seconds(80),
                                 absl::Seconds(160), absl::Minutes(5),
                                 absl::Minutes(5)};
  std::vector<Job> jobs;
  for (int i = 0; i < 7; ++i) {
    jobs.push_back(FailedToStart("j" + std::to_string(i)));
    b.Observe(jobs, now);
    EXPECT_EQ(b.delay(), want[i]) << i;
    EXPECT_TRUE(b.Holding(now));
    EXPECT_EQ(b.until(), now + want[i]);
    now = b.until();
    EXPECT_FALSE(b.Holding(now));
  }
  EXPECT_EQ(b.reason(), "cannot run /w: Argument list too long");
}

TEST(StartBackoffTest, FailuresOfOneBatchCountOnceAndOldOnesNotAgain) {
  StartBackoff b;
  b.Observe({FailedToStart("a"), FailedToStart("b"), FailedToStart("c")}, kT0);
  EXPECT_EQ(b.delay(), absl::Seconds(10));
  // The same failed jobs, still listed after the backoff: no new backoff.
  const absl::Time later = kT0 + absl::Seconds(11);
  b.Observe({FailedToStart("a"), FailedToStart("b"), FailedToStart("c")},
            later);
  EXPECT_FALSE(b.Holding(later));
  EXPECT_EQ(b.delay(), absl::Seconds(10));
}

TEST(StartBackoffTest, ASuccessfulStartResetsTheBackoff) {
  StartBackoff b;
  b.Observe({FailedToStart("a")}, kT0);
  b.Observe({FailedToStart("a"), FailedToStart("b")}, kT0 + absl::Seconds(10));
  EXPECT_EQ(b.delay(), absl::Seconds(20));
  const absl::Time t = kT0 + absl::Seconds(31);
  b.Observe({FailedToStart("a"), FailedToStart("b"), Started("c", t)}, t);
  EXPECT_FALSE(b.Holding(t));
  EXPECT_EQ(b.delay(), absl::ZeroDuration());
  EXPECT_EQ(b.reason(), "");
  b.Observe({FailedToStart("d")}, t);
  EXPECT_EQ(b.delay(), absl::Seconds(10));
}

TEST(StartBackoffTest, DescribeSaysWhyAndForHowLong) {
  StartBackoff b;
  b.Observe({FailedToStart("a")}, kT0);
  EXPECT_THAT(b.Describe(kT0 + absl::Seconds(3)),
              HasSubstr("jobs fail to start (cannot run /w: Argument list "
                        "too long): creating none for 7s"));
}

}  // namespace
}  // namespace ebb::controller
