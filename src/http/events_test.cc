// SPDX-License-Identifier: Apache-2.0
#include "http/events.h"

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ebb::http {
namespace {

TEST(EventHubTest, EventsComeBackInPublishOrderWithIncreasingSeqs) {
  EventHub hub;
  hub.Publish("job", {{"n", 1}});
  hub.Publish("queue", {{"n", 2}});
  hub.Publish("request", {{"n", 3}});
  auto events = hub.WaitAfter(0, absl::ZeroDuration());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 1u);
  EXPECT_EQ(events[0].type, "job");
  EXPECT_EQ(events[1].type, "queue");
  EXPECT_EQ(events[2].seq, 3u);
  EXPECT_EQ(events[2].data["n"], 3);
  EXPECT_EQ(hub.LastSeq(), 3u);
}

TEST(EventHubTest, WaitAfterReturnsOnlyLaterEvents) {
  EventHub hub;
  for (int i = 0; i < 5; ++i) hub.Publish("job", {{"n", i}});
  auto events = hub.WaitAfter(3, absl::ZeroDuration());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 4u);
  EXPECT_EQ(events[1].seq, 5u);
}

TEST(EventHubTest, EventsThatFellOutOfTheRingAreSkipped) {
  EventHub hub(3);
  for (int i = 1; i <= 10; ++i) hub.Publish("job", {{"n", i}});
  auto events = hub.WaitAfter(2, absl::ZeroDuration());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 8u);
  EXPECT_EQ(events[2].seq, 10u);
  EXPECT_EQ(events[2].data["n"], 10);
}

TEST(EventHubTest, WaitAfterTimesOutEmptyWhenNothingIsPublished) {
  EventHub hub;
  hub.Publish("job", {});
  const absl::Time start = absl::Now();
  auto events = hub.WaitAfter(1, absl::Milliseconds(50));
  EXPECT_TRUE(events.empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
}

TEST(EventHubTest, WaitAfterWakesWhenAnotherThreadPublishes) {
  EventHub hub;
  std::vector<Event> got;
  std::thread waiter([&] { got = hub.WaitAfter(0, absl::Seconds(30)); });
  hub.Publish("decision", {{"scaledJob", "sd"}});
  waiter.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "decision");
}

TEST(EventHubTest, CloseWakesWaitersAndLaterWaitsReturnAtOnce) {
  EventHub hub;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    EXPECT_TRUE(hub.WaitAfter(0, absl::Hours(1)).empty());
    returned = true;
  });
  hub.Close();
  waiter.join();
  EXPECT_TRUE(returned);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(hub.WaitAfter(0, absl::Hours(1)).empty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(EventHubTest,
     ConcurrentPublishersGetUniqueConsecutiveSeqsInPerThreadOrder) {
  constexpr int kThreads = 4, kEach = 500;
  EventHub hub(kThreads * kEach);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&hub, t] {
      for (int i = 0; i < kEach; ++i) hub.Publish("job", {{"t", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  auto events = hub.WaitAfter(0, absl::ZeroDuration());
  ASSERT_EQ(events.size(), static_cast<size_t>(kThreads * kEach));
  std::map<int, int> next;  // thread -> next expected i
  for (size_t k = 0; k < events.size(); ++k) {
    EXPECT_EQ(events[k].seq, k + 1);
    const int t = events[k].data["t"], i = events[k].data["i"];
    EXPECT_EQ(i, next[t]++) << "thread " << t;
  }
}

}  // namespace
}  // namespace ebb::http
