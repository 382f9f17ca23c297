// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/leader/leader_test_util.h
//
// Test helpers for LeaderElector: short timings, a client for the API
// server double, a recorder of the two callbacks, and a sampler that checks
// on its own thread that no two electors are ever leader at once.
#ifndef EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_TEST_UTIL_H_
#define EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_TEST_UTIL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/leader/leader_elector.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::testing {

using SteadyClock = std::chrono::steady_clock;

inline constexpr char kLeaseNs[] = "ns";
inline constexpr char kLeaseName[] = "ebb-controller";

// L 2 s, D 1 s, P 0.2 s: a takeover costs about 2.5 s; D leaves the leader
// five tries per deadline and L - D = 1 s of margin on a busy machine.
inline LeaderElectionOptions FastOptions(const std::string& identity) {
  LeaderElectionOptions o;
  o.lease_namespace = kLeaseNs;
  o.lease_name = kLeaseName;
  o.identity = identity;
  o.lease_duration = absl::Seconds(2);
  o.renew_deadline = absl::Seconds(1);
  o.retry_period = absl::Milliseconds(200);
  return o;
}

inline KubeClient ClientFor(const FakeApiServer& server) {
  KubeConfig c;
  c.server = server.url();
  c.namespace_ = kLeaseNs;
  return KubeClient(c);
}

// The Lease in the double's store (null when absent).
inline nlohmann::json StoredLease(FakeApiServer& server) {
  return server.store().Get("leases", kLeaseNs, kLeaseName).value_or(nullptr);
}

inline std::string StoredHolder(FakeApiServer& server) {
  nlohmann::json lease = StoredLease(server);
  return lease.is_null() ? "" : lease["spec"].value("holderIdentity", "");
}

// Polls `done` every 2 ms until true or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& done,
                    absl::Duration timeout = absl::Seconds(20)) {
  const auto deadline = SteadyClock::now() + absl::ToChronoNanoseconds(timeout);
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline double SecondsBetween(SteadyClock::time_point a,
                             SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Records one elector's callbacks: when each came, on which thread, and
// whether they alternated (started, stopped, started, ...). Declare it
// before the elector: the elector's destructor may still call it.
class Callbacks {
 public:
  std::function<void()> Started() {
    return [this] { Record(true); };
  }
  std::function<void()> Stopped() {
    return [this] { Record(false); };
  }
  int started() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(started_at_.size());
  }
  int stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(stopped_at_.size());
  }
  // False once a callback came out of turn or from another thread.
  bool in_order() const {
    std::lock_guard<std::mutex> lock(mu_);
    return in_order_;
  }
  // Wait until the n-th call (1-based) has come; false on timeout.
  bool WaitStarted(int n, absl::Duration timeout = absl::Seconds(20)) {
    return Wait(started_at_, n, timeout);
  }
  bool WaitStopped(int n, absl::Duration timeout = absl::Seconds(20)) {
    return Wait(stopped_at_, n, timeout);
  }
  // When the n-th call came (1-based; it must have come).
  SteadyClock::time_point started_at(int n) const {
    std::lock_guard<std::mutex> lock(mu_);
    return started_at_.at(n - 1);
  }
  SteadyClock::time_point stopped_at(int n) const {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_at_.at(n - 1);
  }

 private:
  void Record(bool started) {
    std::lock_guard<std::mutex> lock(mu_);
    const bool turn = started ? started_at_.size() == stopped_at_.size()
                              : started_at_.size() == stopped_at_.size() + 1;
    if (thread_ == std::thread::id()) thread_ = std::this_thread::get_id();
    if (!turn || thread_ != std::this_thread::get_id()) in_order_ = false;
    (started ? started_at_ : stopped_at_).push_back(SteadyClock::now());
    cv_.notify_all();
  }
  bool Wait(const std::vector<SteadyClock::time_point>& calls, int n,
            absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return static_cast<int>(calls.size()) >= n; });
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SteadyClock::time_point> started_at_;
  std::vector<SteadyClock::time_point> stopped_at_;
  std::thread::id thread_;
  bool in_order_ = true;
};

// Reads IsLeader() of every elector about every 0.1 ms on its own thread
// until destroyed, counting the samples in which two or more were leader.
class OverlapSampler {
 public:
  explicit OverlapSampler(std::vector<const LeaderElector*> electors)
      : electors_(std::move(electors)), thread_([this] { Loop(); }) {}
  ~OverlapSampler() {
    stop_ = true;
    thread_.join();
  }
  int64_t overlaps() const { return overlaps_.load(); }
  int64_t samples() const { return samples_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      int leaders = 0;
      for (const LeaderElector* e : electors_) leaders += e->IsLeader();
      if (leaders > 1) ++overlaps_;
      ++samples_;
      // Fine next to the 1 s margin, and leaves the CPU to the electors.
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  const std::vector<const LeaderElector*> electors_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> overlaps_{0};
  std::atomic<int64_t> samples_{0};
  std::thread thread_;
};

}  // namespace ebb::executors::kubernetes::testing

#endif  // EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_TEST_UTIL_H_
