// SPDX-License-Identifier: Apache-2.0
// MirrorLoop: --watch passes, the --once-when wait, stopping, and errors. Every
// wait is on a condition with a deadline.
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <stop_token>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/mirror/mirror.h"
#include "storage/testing/in_memory_object_store.h"

namespace ebb::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kDeadline = absl::Seconds(10);

// Polls `cond` until it holds or `kDeadline` passes.
bool Eventually(const std::function<bool()>& cond) {
  absl::Time end = absl::Now() + kDeadline;
  while (absl::Now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

// Counts List calls, so a test can wait for the loop to have looked N times.
class CountingStore : public InMemoryObjectStore {
 public:
  absl::StatusOr<std::vector<ObjectInfo>> List(
      const std::string& prefix) override {
    ++lists;
    return InMemoryObjectStore::List(prefix);
  }
  std::atomic<int> lists{0};
};

MirrorLoopOptions Fast(bool watch) {
  MirrorLoopOptions l;
  l.interval = absl::Milliseconds(5);
  l.watch = watch;
  return l;
}

TEST(SleepUnlessStoppedTest, ReturnsAtOnceWhenStopped) {
  std::stop_source stop;
  auto slept = std::async(std::launch::async, [&] {
    return SleepUnlessStopped(absl::Hours(1), stop.get_token());
  });
  stop.request_stop();
  ASSERT_EQ(slept.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_FALSE(slept.get());
  EXPECT_TRUE(SleepUnlessStopped(absl::Milliseconds(1), std::stop_token()));
}

TEST(MirrorLoopTest, WithoutWatchRunsOnePass) {
  InMemoryObjectStore src, dst;
  ASSERT_TRUE(src.Put("a-0.png", "png", "").ok());
  int passes = 0;
  MirrorLoopOptions l = Fast(false);
  l.on_pass = [&](const MirrorStats&) { ++passes; };
  absl::StatusOr<MirrorStats> s =
      MirrorLoop(src, dst, {}, l, std::stop_token());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->copied, 1);
  EXPECT_EQ(passes, 1);
}

TEST(MirrorLoopTest, WatchCopiesNewResultsUntilStopped) {
  InMemoryObjectStore src, dst;
  MirrorOptions o;
  o.exclude = {"working"};
  ASSERT_TRUE(src.Put("working", "", "").ok());
  ASSERT_TRUE(src.Put("r1-0.png", "one", "").ok());
  std::atomic<int> passes{0};
  MirrorLoopOptions l = Fast(true);
  l.on_pass = [&](const MirrorStats&) { ++passes; };
  std::stop_source stop;
  auto loop = std::async(std::launch::async, [&] {
    return MirrorLoop(src, dst, o, l, stop.get_token());
  });

  ASSERT_TRUE(Eventually([&] { return dst.Get("r1-0.png").ok(); }));
  ASSERT_TRUE(src.Put("r2-0.png", "two", "").ok());
  ASSERT_TRUE(src.Put("r2.json", "{}", "").ok());
  ASSERT_TRUE(Eventually([&] { return dst.Get("r2.json").ok(); }));
  int seen = passes;
  ASSERT_TRUE(Eventually([&] { return passes >= seen + 2; }));  // idles on

  stop.request_stop();
  ASSERT_EQ(loop.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  absl::StatusOr<MirrorStats> total = loop.get();
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_EQ(total->copied, 3);  // each object once, `working` never
  EXPECT_THAT(dst.PutLog(), ElementsAre("r1-0.png", "r2-0.png", "r2.json"));
  EXPECT_GE(total->skipped, 3);
}

TEST(MirrorLoopTest, OnceWhenWaitsForAnImageAndARecordThenMirrorsOnce) {
  CountingStore src;
  InMemoryObjectStore dst;
  MirrorOptions o;
  o.exclude = {"working"};
  o.once_when = {"*.png", "*.json"};
  ASSERT_TRUE(src.Put("working", "", "").ok());
  auto loop = std::async(std::launch::async, [&] {
    return MirrorLoop(src, dst, o, Fast(false), std::stop_token());
  });

  ASSERT_TRUE(Eventually([&] { return src.lists >= 3; }));
  ASSERT_TRUE(src.Put("a-0.png", "png", "").ok());
  int lists = src.lists;
  ASSERT_TRUE(Eventually([&] { return src.lists >= lists + 2; }));
  EXPECT_THAT(dst.Keys(), IsEmpty());  // a PNG alone is not enough
  EXPECT_EQ(loop.wait_for(std::chrono::seconds(0)),
            std::future_status::timeout);

  ASSERT_TRUE(src.Put("a.json", "{}", "").ok());
  ASSERT_EQ(loop.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  absl::StatusOr<MirrorStats> s = loop.get();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->copied, 2);
  EXPECT_THAT(dst.PutLog(), ElementsAre("a-0.png", "a.json"));
}

TEST(MirrorLoopTest, StopWhileWaitingIsCancelledNamingThePatterns) {
  CountingStore src;
  InMemoryObjectStore dst;
  MirrorOptions o;
  o.once_when = {"*.png", "*.json"};
  ASSERT_TRUE(src.Put("a-0.png", "png", "").ok());
  std::stop_source stop;
  auto loop = std::async(std::launch::async, [&] {
    return MirrorLoop(src, dst, o, Fast(true), stop.get_token());
  });
  ASSERT_TRUE(Eventually([&] { return src.lists >= 2; }));
  stop.request_stop();
  ASSERT_EQ(loop.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  absl::StatusOr<MirrorStats> s = loop.get();
  EXPECT_TRUE(absl::IsCancelled(s.status())) << s.status().ToString();
  EXPECT_THAT(s.status().message(), HasSubstr("*.json"));
  EXPECT_THAT(s.status().message(), ::testing::Not(HasSubstr("*.png")));
  EXPECT_THAT(dst.Keys(), IsEmpty());
}

TEST(MirrorLoopTest, FirstFailureIsReturnedLaterOnesAreRetried) {
  InMemoryObjectStore src, base;
  FlakyObjectStore dst(base);
  ASSERT_TRUE(src.Put("a-0.png", "png", "").ok());

  dst.FailNextPuts(1, absl::PermissionDeniedError("denied"));
  absl::StatusOr<MirrorStats> first =
      MirrorLoop(src, dst, {}, Fast(true), std::stop_token());
  EXPECT_TRUE(absl::IsPermissionDenied(first.status()));
  EXPECT_THAT(first.status().message(), HasSubstr("flaky+memory://"));

  std::atomic<int> errors{0};
  MirrorLoopOptions l = Fast(true);
  l.on_error = [&](const absl::Status&) { ++errors; };
  std::stop_source stop;
  auto loop = std::async(std::launch::async, [&] {
    return MirrorLoop(src, dst, {}, l, stop.get_token());
  });
  ASSERT_TRUE(Eventually([&] { return base.Get("a-0.png").ok(); }));
  dst.FailNextPuts(2);
  ASSERT_TRUE(src.Put("b-0.png", "png", "").ok());
  ASSERT_TRUE(Eventually([&] { return base.Get("b-0.png").ok(); }));
  EXPECT_EQ(errors, 2);
  stop.request_stop();
  ASSERT_EQ(loop.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(loop.get().ok());
}

}  // namespace
}  // namespace ebb::storage
