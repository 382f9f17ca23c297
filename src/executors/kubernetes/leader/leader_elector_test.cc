// SPDX-License-Identifier: Apache-2.0
//
// One LeaderElector against the API server double: options, the Lease
// record, acquiring and renewing, an unavailable API server, RBAC refusals
// and a lost compare-and-swap.
#include "executors/kubernetes/leader/leader_elector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "executors/kubernetes/leader/leader_test_util.h"
#include "executors/kubernetes/leader/lease_record.h"

namespace ebb::executors::kubernetes::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using Json = nlohmann::json;

constexpr char kMicroTime[] =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z";

absl::Time ParseMicroTime(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

// A Lease held by `holder` as another process would have written it.
Json ForeignLease(const std::string& holder, int64_t duration_seconds,
                  int64_t transitions) {
  LeaseRecord r;
  r.holder_identity = holder;
  r.lease_duration_seconds = duration_seconds;
  r.acquire_time = FormatMicroTime(absl::Now());
  r.renew_time = r.acquire_time;
  r.lease_transitions = transitions;
  return NewLease(kLeaseNs, kLeaseName, r);
}

TEST(LeaderElectionOptionsTest, DefaultsAreClientGosAndValid) {
  LeaderElectionOptions o;
  EXPECT_EQ(o.lease_duration, absl::Seconds(15));
  EXPECT_EQ(o.renew_deadline, absl::Seconds(10));
  EXPECT_EQ(o.retry_period, absl::Seconds(2));
  EXPECT_TRUE(o.release_on_stop);
  EXPECT_TRUE(ValidateLeaderElectionOptions(o).ok());
}

TEST(LeaderElectionOptionsTest, TimingErrorsNameTheOptionsAndValues) {
  LeaderElectionOptions o;
  o.renew_deadline = absl::Seconds(15);
  absl::Status s = ValidateLeaderElectionOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("lease_duration (15s) must be greater "
                        "than renew_deadline (15s)"));

  o = LeaderElectionOptions();
  o.retry_period = absl::Seconds(9);
  s = ValidateLeaderElectionOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("renew_deadline (10s) must be greater than "
                        "retry_period (9s) * 1.2 = 10.8s"));

  o = LeaderElectionOptions();
  o.retry_period = absl::ZeroDuration();
  EXPECT_THAT(std::string(ValidateLeaderElectionOptions(o).message()),
              HasSubstr("retry_period (0) must be greater than zero"));
}

TEST(LeaderElectionOptionsTest, LeaseNamesFollowKubernetesRules) {
  LeaderElectionOptions o;
  o.lease_name = "Ebb_Controller";
  EXPECT_THAT(std::string(ValidateLeaderElectionOptions(o).message()),
              StartsWith("leader election: lease_name: \"Ebb_Controller\""));
  o = LeaderElectionOptions();
  o.lease_namespace = "no/slash";
  EXPECT_THAT(std::string(ValidateLeaderElectionOptions(o).message()),
              StartsWith("leader election: lease_namespace"));
}

TEST(LeaderElectionOptionsTest, IdentityIsThePodNameElseHostnameAndSuffix) {
  ::setenv("POD_NAME", "ebb-7d9f6-x2k4p", 1);
  EXPECT_EQ(DefaultLeaderIdentity(), "ebb-7d9f6-x2k4p");
  ::unsetenv("POD_NAME");
  const char* in_pod = std::getenv("KUBERNETES_SERVICE_HOST");
  if (in_pod == nullptr) {
    const std::string a = DefaultLeaderIdentity(), b = DefaultLeaderIdentity();
    EXPECT_THAT(a, MatchesRegex(".+_[0-9a-f]{8}"));
    EXPECT_NE(a, b);  // two processes on one machine differ
  }
}

TEST(LeaderElectionOptionsTest, CreateFillsNamespaceAndIdentityAndValidates) {
  KubeConfig c;
  c.server = "http://127.0.0.1:1";
  c.namespace_ = "team-a";
  KubeClient client(c);
  LeaderElectionOptions o;
  auto e = LeaderElector::Create(client, o);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ((*e)->Describe(), "team-a/ebb-controller");
  EXPECT_FALSE((*e)->identity().empty());
  EXPECT_FALSE((*e)->IsLeader());
  EXPECT_EQ((*e)->CurrentLeader(), "");
  o.renew_deadline = absl::Seconds(20);
  EXPECT_EQ(LeaderElector::Create(client, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LeaseRecordTest, ReadsWritesTheFiveFieldsAndToleratesMissingOnes) {
  LeaseRecord r;
  r.holder_identity = "a";
  r.lease_duration_seconds = 15;
  r.acquire_time = "2026-01-02T03:04:05.000001Z";
  r.renew_time = "2026-01-02T03:04:07.250000Z";
  r.lease_transitions = 3;
  Json lease = NewLease("ns", "l", r);
  EXPECT_EQ(lease["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(lease["kind"], "Lease");
  EXPECT_EQ(lease["metadata"]["namespace"], "ns");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 15);
  const LeaseRecord back = LeaseRecordOf(lease);
  EXPECT_EQ(back.holder_identity, "a");
  EXPECT_EQ(back.lease_duration_seconds, 15);
  EXPECT_EQ(back.acquire_time, r.acquire_time);
  EXPECT_EQ(back.renew_time, r.renew_time);
  EXPECT_EQ(back.lease_transitions, 3);

  const LeaseRecord empty =
      LeaseRecordOf({{"spec", {{"leaseDurationSeconds", "x"}}}});
  EXPECT_EQ(empty.holder_identity, "");
  EXPECT_EQ(empty.lease_duration_seconds, 0);
  EXPECT_FALSE(WithLeaseRecord(Json::object(), LeaseRecord())["spec"].contains(
      "renewTime"));
  EXPECT_EQ(FormatMicroTime(absl::FromUnixMicros(1767323045000001)),
            "2026-01-02T03:04:05.000001Z");
  EXPECT_EQ(LeasePath("ns", "l"),
            "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l");
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }
  std::unique_ptr<LeaderElector> Make(LeaderElectionOptions options) {
    auto e = LeaderElector::Create(ClientFor(server_), std::move(options));
    EXPECT_TRUE(e.ok()) << e.status();
    return std::move(e).value();
  }
  FakeApiServer server_;
};

TEST_F(LeaderElectorTest, CreatesAMissingLeaseAndRenewsIt) {
  Callbacks cb;
  auto e = Make(FastOptions("a"));
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(cb.WaitStarted(1));
  EXPECT_TRUE(e->IsLeader());
  EXPECT_EQ(e->CurrentLeader(), "a");
  EXPECT_EQ(server_.Requests("create", "leases"), 1);
  const Json first = StoredLease(server_);
  ASSERT_TRUE(first.is_object());
  EXPECT_EQ(first["spec"]["holderIdentity"], "a");
  EXPECT_EQ(first["spec"]["leaseDurationSeconds"], 2);
  EXPECT_EQ(first["spec"]["leaseTransitions"], 0);
  const std::string acquired = first["spec"]["acquireTime"];
  EXPECT_THAT(acquired, MatchesRegex(kMicroTime));
  EXPECT_EQ(first["spec"]["renewTime"], acquired);

  // Renewals move renewTime forward and keep acquireTime.
  ASSERT_TRUE(WaitFor([&] { return e->stats().renewals >= 3; }));
  const Json later = StoredLease(server_);
  EXPECT_EQ(later["spec"]["holderIdentity"], "a");
  EXPECT_EQ(later["spec"]["acquireTime"], acquired);
  EXPECT_EQ(later["spec"]["leaseTransitions"], 0);
  EXPECT_THAT(later["spec"]["renewTime"].get<std::string>(),
              MatchesRegex(kMicroTime));
  EXPECT_GT(ParseMicroTime(later["spec"]["renewTime"]),
            ParseMicroTime(acquired));
  EXPECT_GE(server_.Requests("update", "leases"), 3);
  EXPECT_TRUE(e->IsLeader());
  EXPECT_EQ(cb.stopped(), 0);

  // Stop() stops leading, then releases the Lease as client-go does.
  e->Stop();
  EXPECT_EQ(cb.stopped(), 1);
  EXPECT_TRUE(cb.in_order());
  EXPECT_FALSE(e->IsLeader());
  const Json released = StoredLease(server_);
  EXPECT_EQ(released["spec"]["holderIdentity"], "");
  EXPECT_EQ(released["spec"]["leaseDurationSeconds"], 1);
  EXPECT_EQ(released["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(e->stats().releases, 1);
  EXPECT_EQ(e->stats().losses, 0);
  e->Stop();  // idempotent
  EXPECT_EQ(cb.stopped(), 1);
}

TEST_F(LeaderElectorTest, LosesLeadershipWhenTheApiServerIsUnavailable) {
  Callbacks cb;
  const LeaderElectionOptions o = FastOptions("a");
  auto e = Make(o);
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(cb.WaitStarted(1));
  ASSERT_TRUE(WaitFor([&] { return e->stats().renewals >= 1; }));

  const auto down = SteadyClock::now();
  server_.Stop();
  ASSERT_TRUE(cb.WaitStopped(1));
  // The last renewal began at most about one retry_period before the
  // server went down; leadership ends renew_deadline after it.
  const double after = SecondsBetween(down, cb.stopped_at(1));
  EXPECT_GE(after,
            absl::ToDoubleSeconds(o.renew_deadline - o.retry_period) - 0.3);
  EXPECT_LE(after, absl::ToDoubleSeconds(o.renew_deadline) + 2.0);
  EXPECT_FALSE(e->IsLeader());
  EXPECT_EQ(e->stats().losses, 1);
  EXPECT_EQ(e->last_error().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(e->last_error().message()),
              StartsWith("leader election on lease ns/ebb-controller: "));

  // Back again: the Lease still names this elector, which leads again.
  ASSERT_TRUE(server_.Restart().ok());
  ASSERT_TRUE(cb.WaitStarted(2));
  EXPECT_TRUE(e->IsLeader());
  EXPECT_TRUE(e->last_error().ok());
  EXPECT_EQ(cb.stopped(), 1);
  EXPECT_TRUE(cb.in_order());
  EXPECT_EQ(StoredLease(server_)["spec"]["leaseTransitions"], 0);
}

TEST_F(LeaderElectorTest, ForbiddenNamesTheRoleRuleAndBacksOff) {
  Callbacks cb;
  server_.Deny("get", "leases");
  auto e = Make(FastOptions("a"));
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(WaitFor([&] {
    return e->last_error().code() == absl::StatusCode::kPermissionDenied;
  }));
  EXPECT_THAT(
      std::string(e->last_error().message()),
      AllOf(HasSubstr("cannot get resource \"leases\" in API group "
                      "\"coordination.k8s.io\" in the namespace \"ns\""),
            HasSubstr("add a Role rule with apiGroups [\"coordination.k8s.io\"]"
                      ", resources [\"leases\"], verbs [\"get\", \"create\", "
                      "\"update\"]")));
  // Retried with a doubling delay (0.2, 0.4, 0.8, 1.6 s...): a few requests
  // in 2.5 s where retrying every retry_period would make about twelve.
  // (A measurement window, not a wait for an event.)
  const int before = server_.Requests("get", "leases");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const int during = server_.Requests("get", "leases") - before;
  EXPECT_GE(during, 1);
  EXPECT_LE(during, 4);
  EXPECT_FALSE(e->IsLeader());
  EXPECT_EQ(cb.started(), 0);

  server_.Allow("get", "leases");
  ASSERT_TRUE(cb.WaitStarted(1));
  EXPECT_TRUE(e->last_error().ok());
}

TEST_F(LeaderElectorTest, ConflictOnTakeoverMeansAnotherCandidateWon) {
  Callbacks cb;
  // An expired-looking Lease (1 s) of a process that is gone...
  ASSERT_TRUE(server_.store()
                  .Create("leases", kLeaseNs, ForeignLease("ghost", 1, 0))
                  .ok());
  // ...and a rival that writes it between our GET and our PUT.
  std::atomic<bool> rival_wrote{false};
  server_.SetRequestHook([&](const FakeApiServer::Route& route) {
    if (route.verb != "update" || rival_wrote.exchange(true)) return;
    server_.store().Update("leases", kLeaseNs, kLeaseName, [](Json& lease) {
      Json fresh = ForeignLease("rival", 1, 1);
      lease["spec"] = fresh["spec"];
    });
  });
  auto e = Make(FastOptions("a"));
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(WaitFor([&] { return e->stats().conflicts >= 1; }));
  EXPECT_EQ(cb.started(), 0);
  EXPECT_EQ(StoredHolder(server_), "rival");
  ASSERT_TRUE(WaitFor([&] { return e->CurrentLeader() == "rival"; }));
  EXPECT_EQ(e->stats().errors, 0);

  // The rival never renews: a second second later (by our clock) it is ours.
  ASSERT_TRUE(cb.WaitStarted(1));
  const Json lease = StoredLease(server_);
  EXPECT_EQ(lease["spec"]["holderIdentity"], "a");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 2);
  EXPECT_EQ(e->stats().conflicts, 1);
}

TEST_F(LeaderElectorTest, LeaderThatSeesAnotherHolderStepsDownAtOnce) {
  Callbacks cb;
  auto e = Make(FastOptions("a"));
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(cb.WaitStarted(1));
  // Someone overwrites the Lease (a misconfigured replica with the same
  // Lease, or a human): the next renewal's PUT conflicts.
  ASSERT_TRUE(
      server_.store().Update("leases", kLeaseNs, kLeaseName, [](Json& lease) {
        lease["spec"] = ForeignLease("intruder", 2, 7)["spec"];
      }));
  ASSERT_TRUE(cb.WaitStopped(1));
  EXPECT_FALSE(e->IsLeader());
  EXPECT_EQ(e->CurrentLeader(), "intruder");
  EXPECT_EQ(e->stats().losses, 1);
  // It stepped down on seeing the holder, not at its renew deadline.
  EXPECT_TRUE(e->last_error().ok());
  // The intruder never renews: after its 2 s the Lease is ours again.
  ASSERT_TRUE(cb.WaitStarted(2));
  EXPECT_EQ(StoredLease(server_)["spec"]["leaseTransitions"], 8);
  EXPECT_TRUE(cb.in_order());
}

TEST_F(LeaderElectorTest, StopBeforeStartOrWhileACandidateTouchesNoLease) {
  Callbacks cb;
  auto idle = Make(FastOptions("idle"));
  idle->Stop();
  idle->Stop();

  ASSERT_TRUE(server_.store()
                  .Create("leases", kLeaseNs, ForeignLease("other", 60, 0))
                  .ok());
  auto e = Make(FastOptions("a"));
  e->Start(cb.Started(), cb.Stopped());
  ASSERT_TRUE(WaitFor([&] { return e->CurrentLeader() == "other"; }));
  e->Stop();
  EXPECT_EQ(cb.started(), 0);
  EXPECT_EQ(cb.stopped(), 0);
  EXPECT_EQ(StoredHolder(server_), "other");
  EXPECT_EQ(server_.Requests("update", "leases"), 0);
}

}  // namespace
}  // namespace ebb::executors::kubernetes::testing
