// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/namespaced_executor.h
//
// An Executor over a set of namespaces: List with namespace "" (every job,
// as the API, `ebb status` and the UI ask) lists each namespace of the set
// instead of the whole cluster, so ebb needs only namespaced RBAC (a Role per
// namespace, no ClusterRole) and the Kubernetes executor never starts
// cluster-wide informers. Every other call, and List of a named namespace,
// goes to the wrapped executor unchanged, Create through an optional gate
// (SetCreateGate).
//
// Threading: as the wrapped executor; `namespaces` must be thread-safe.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_NAMESPACED_EXECUTOR_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_NAMESPACED_EXECUTOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "executors/forwarding_executor.h"

namespace ebb::executors::kubernetes::cluster {

class NamespacedExecutor : public ForwardingExecutor {
 public:
  // `inner` must outlive this. `namespaces` returns the set at each call
  // (it may change, e.g. when manifests are reloaded).
  NamespacedExecutor(Executor& inner,
                     std::function<std::vector<std::string>()> namespaces)
      : ForwardingExecutor(inner), namespaces_(std::move(namespaces)) {}

  // Create: refused with the gate's error while a gate is set and says no
  // (leader election: only the leader creates Jobs).
  absl::StatusOr<Job> Create(const JobRequest& request) override {
    if (gate_) {
      if (absl::Status s = gate_(); !s.ok()) return s;
    }
    return ForwardingExecutor::Create(request);
  }
  // Set before the controller starts (not synchronised with Create).
  void SetCreateGate(std::function<absl::Status()> gate) {
    gate_ = std::move(gate);
  }
  // List("", sj): the jobs of every namespace of the set; the first
  // namespace's error when one cannot be listed (the count is then unknown).
  absl::StatusOr<std::vector<Job>> List(const std::string& ns,
                                        const std::string& scaled_job) override;

 private:
  std::function<std::vector<std::string>()> namespaces_;
  std::function<absl::Status()> gate_;
};

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_NAMESPACED_EXECUTOR_H_
