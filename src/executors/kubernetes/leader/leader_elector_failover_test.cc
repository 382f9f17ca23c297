// SPDX-License-Identifier: Apache-2.0
//
// Two LeaderElectors sharing one Lease on the API server double: exactly one
// leads; a killed, partitioned or stopped leader is replaced in the time the
// contract promises; a race for an expired Lease has one winner. A sampler
// thread checks throughout that the two are never leader at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "executors/kubernetes/leader/leader_elector.h"
#include "executors/kubernetes/leader/leader_test_util.h"
#include "executors/kubernetes/leader/lease_record.h"

namespace ebb::executors::kubernetes::testing {
namespace {

using Json = nlohmann::json;

std::unique_ptr<LeaderElector> Make(const FakeApiServer& server,
                                    LeaderElectionOptions options) {
  auto e = LeaderElector::Create(ClientFor(server), std::move(options));
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(e).value();
}

class LeaderFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }

  // Starts `a` alone, waits until it leads, then starts `b` and waits until
  // `b` has seen `a` hold the Lease.
  void StartAThenB(LeaderElector& a, Callbacks& cba, LeaderElector& b,
                   Callbacks& cbb) {
    a.Start(cba.Started(), cba.Stopped());
    ASSERT_TRUE(cba.WaitStarted(1));
    b.Start(cbb.Started(), cbb.Stopped());
    ASSERT_TRUE(WaitFor([&] { return b.CurrentLeader() == a.identity(); }));
    EXPECT_FALSE(b.IsLeader());
  }

  FakeApiServer server_;
};

TEST_F(LeaderFailoverTest, OfTwoElectorsStartedTogetherExactlyOneLeads) {
  Callbacks cba, cbb;
  auto a = Make(server_, FastOptions("a"));
  auto b = Make(server_, FastOptions("b"));
  OverlapSampler sampler({a.get(), b.get()});
  a->Start(cba.Started(), cba.Stopped());
  b->Start(cbb.Started(), cbb.Stopped());
  ASSERT_TRUE(WaitFor([&] { return a->IsLeader() || b->IsLeader(); }));
  LeaderElector& leader = a->IsLeader() ? *a : *b;
  LeaderElector& follower = a->IsLeader() ? *b : *a;
  ASSERT_TRUE(
      WaitFor([&] { return follower.CurrentLeader() == leader.identity(); }));
  // Hold through several renewals: nothing changes hands.
  const int64_t renewals = leader.stats().renewals;
  ASSERT_TRUE(WaitFor([&] { return leader.stats().renewals >= renewals + 5; }));
  EXPECT_TRUE(leader.IsLeader());
  EXPECT_FALSE(follower.IsLeader());
  EXPECT_EQ(cba.started() + cbb.started(), 1);
  EXPECT_EQ(cba.stopped() + cbb.stopped(), 0);
  EXPECT_EQ(follower.stats().acquisitions, 0);
  EXPECT_EQ(StoredHolder(server_), leader.identity());
  EXPECT_EQ(StoredLease(server_)["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(sampler.overlaps(), 0);
}

TEST_F(LeaderFailoverTest, KilledLeaderIsReplacedAfterTheLeaseDuration) {
  Callbacks cba, cbb;
  LeaderElectionOptions killed = FastOptions("a");
  killed.release_on_stop = false;  // Stop() then leaves what a kill leaves
  auto a = Make(server_, killed);
  auto b = Make(server_, FastOptions("b"));
  StartAThenB(*a, cba, *b, cbb);
  OverlapSampler sampler({a.get(), b.get()});

  const auto killed_at = SteadyClock::now();
  a->Stop();
  EXPECT_EQ(StoredHolder(server_), "a");  // not released
  ASSERT_TRUE(cbb.WaitStarted(1));
  // b waits leaseDurationSeconds (2 s) from when it saw a's last renewal,
  // which began at most one retry_period before the kill; then it reads
  // the Lease every 0.2 to 0.24 s.
  const double took = SecondsBetween(killed_at, cbb.started_at(1));
  EXPECT_GE(took, 2.0 - 0.2 - 0.3);        // not at once: the Lease had to age
  EXPECT_LE(took, 2.0 + 2.4 * 0.2 + 2.0);  // + slack for a busy machine
  EXPECT_EQ(StoredHolder(server_), "b");
  EXPECT_EQ(StoredLease(server_)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(a->stats().releases, 0);
  EXPECT_EQ(cba.stopped(), 1);
  EXPECT_EQ(sampler.overlaps(), 0);
  EXPECT_GT(sampler.samples(), 1000);
}

TEST_F(LeaderFailoverTest, PartitionedLeaderStopsBeforeTheOtherStarts) {
  Callbacks cba, cbb;
  // Two API server replicas over one store: a reaches the first, b the
  // second. Cutting the first leaves a unable to renew while b sees the
  // Lease age.
  FakeApiServerOptions second_options;
  second_options.store = server_.shared_store();
  FakeApiServer second(second_options);
  ASSERT_TRUE(second.Start().ok());
  auto a = Make(server_, FastOptions("a"));
  auto b = Make(second, FastOptions("b"));
  StartAThenB(*a, cba, *b, cbb);
  OverlapSampler sampler({a.get(), b.get()});

  server_.Stop();
  ASSERT_TRUE(cba.WaitStopped(1));
  EXPECT_FALSE(a->IsLeader());
  ASSERT_TRUE(cbb.WaitStarted(1));
  // renew_deadline (1 s) < leaseDurationSeconds (2 s): a stopped first.
  EXPECT_LT(cba.stopped_at(1), cbb.started_at(1));
  EXPECT_EQ(a->stats().losses, 1);
  EXPECT_EQ(a->last_error().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StoredHolder(server_), "b");
  EXPECT_EQ(sampler.overlaps(), 0);
  EXPECT_GT(sampler.samples(), 1000);

  // a stays a candidate (through its server, once back) and follows b.
  ASSERT_TRUE(server_.Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return a->last_error().ok(); }));
  EXPECT_EQ(a->CurrentLeader(), "b");
  EXPECT_FALSE(a->IsLeader());
  EXPECT_EQ(sampler.overlaps(), 0);
}

TEST_F(LeaderFailoverTest, GracefulStopHandsOverWithinARetryPeriod) {
  Callbacks cba, cbb;
  // A long lease_duration (10 s): a takeover sooner than that can only come
  // from the release.
  LeaderElectionOptions slow_a = FastOptions("a");
  LeaderElectionOptions slow_b = FastOptions("b");
  slow_a.lease_duration = slow_b.lease_duration = absl::Seconds(10);
  auto a = Make(server_, slow_a);
  auto b = Make(server_, slow_b);
  StartAThenB(*a, cba, *b, cbb);
  OverlapSampler sampler({a.get(), b.get()});

  const auto stopped_at = SteadyClock::now();
  a->Stop();
  EXPECT_EQ(cba.stopped(), 1);
  EXPECT_EQ(a->stats().releases, 1);
  ASSERT_TRUE(cbb.WaitStarted(1));
  const double took = SecondsBetween(stopped_at, cbb.started_at(1));
  EXPECT_LE(took, 1.2 * 0.2 + 2.0);  // far below the 10 s lease
  EXPECT_LT(cba.stopped_at(1), cbb.started_at(1));
  const Json lease = StoredLease(server_);
  EXPECT_EQ(lease["spec"]["holderIdentity"], "b");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 10);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(sampler.overlaps(), 0);
}

TEST_F(LeaderFailoverTest, RacingForAnExpiredLeaseExactlyOneWins) {
  Callbacks cba, cbb;
  // A Lease left by a dead process, 1 s long.
  LeaseRecord ghost;
  ghost.holder_identity = "ghost";
  ghost.lease_duration_seconds = 1;
  ghost.acquire_time = ghost.renew_time = FormatMicroTime(absl::Now());
  ASSERT_TRUE(
      server_.store()
          .Create("leases", kLeaseNs, NewLease(kLeaseNs, kLeaseName, ghost))
          .ok());
  // Both candidates see it expire within a retry_period of each other; the
  // double holds the first PUT until the second arrives, so both PUTs carry
  // the resourceVersion they read and the store decides.
  std::mutex mu;
  std::condition_variable cv;
  int puts = 0;
  server_.SetRequestHook([&](const FakeApiServer::Route& route) {
    if (route.verb != "update") return;
    std::unique_lock<std::mutex> lock(mu);
    ++puts;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(3), [&] { return puts >= 2; });
  });
  // Requests may take up to renew_deadline: give the held PUT room.
  LeaderElectionOptions oa = FastOptions("a"), ob = FastOptions("b");
  oa.lease_duration = ob.lease_duration = absl::Seconds(5);
  oa.renew_deadline = ob.renew_deadline = absl::Seconds(4);
  auto a = Make(server_, oa);
  auto b = Make(server_, ob);
  OverlapSampler sampler({a.get(), b.get()});
  a->Start(cba.Started(), cba.Stopped());
  b->Start(cbb.Started(), cbb.Stopped());

  ASSERT_TRUE(WaitFor([&] { return a->IsLeader() || b->IsLeader(); }));
  LeaderElector& winner = a->IsLeader() ? *a : *b;
  LeaderElector& loser = a->IsLeader() ? *b : *a;
  ASSERT_TRUE(WaitFor([&] { return winner.stats().renewals >= 3; }));
  EXPECT_EQ(loser.stats().conflicts, 1);  // its PUT got 409 Conflict
  EXPECT_EQ(winner.stats().conflicts, 0);
  EXPECT_EQ(loser.stats().acquisitions, 0);
  EXPECT_EQ(loser.stats().errors, 0);
  EXPECT_EQ(loser.CurrentLeader(), winner.identity());
  EXPECT_EQ(cba.started() + cbb.started(), 1);
  EXPECT_EQ(StoredHolder(server_), winner.identity());
  EXPECT_EQ(StoredLease(server_)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(sampler.overlaps(), 0);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
