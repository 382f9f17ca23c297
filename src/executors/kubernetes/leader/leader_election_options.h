// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/leader/leader_election_options.h
//
// What a LeaderElector (leader_elector.h) is told: which Lease, who it is,
// and the three timings of client-go's leader election
// (k8s.io/client-go/tools/leaderelection/leaderelection.go), with the same
// defaults and the same checks.
//
// Thread-safe (plain data and pure functions).
#ifndef EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTION_OPTIONS_H_
#define EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTION_OPTIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ebb::executors::kubernetes {

// client-go's JitterFactor: candidates wait retry_period plus up to this
// fraction of it between tries, and renew_deadline must exceed
// retry_period * kLeaderElectionJitterFactor.
inline constexpr double kLeaderElectionJitterFactor = 1.2;

struct LeaderElectionOptions {
  // The Lease (coordination.k8s.io/v1) the candidates share. "" namespace =
  // the client's (the kubeconfig context's, or the pod's own).
  std::string lease_namespace;
  std::string lease_name = "ebb-controller";
  // This candidate's spec.holderIdentity; unique among the candidates.
  // "" = DefaultLeaderIdentity().
  std::string identity;
  // How long the others wait, from the last change of the Lease THEY saw
  // (by their own clocks), before taking it over when it is not renewed.
  // Written as spec.leaseDurationSeconds, rounded up to whole seconds.
  // client-go's LeaseDuration (15 s in core components).
  absl::Duration lease_duration = absl::Seconds(15);
  // The leader stops leading when no renewal has succeeded for this long.
  // Must be below lease_duration: the gap is the margin that keeps the old
  // leader from acting once another may lead. client-go's RenewDeadline.
  absl::Duration renew_deadline = absl::Seconds(10);
  // Time between tries: the leader renews this often; candidates read the
  // Lease this often (plus up to 20 % jitter). client-go's RetryPeriod.
  absl::Duration retry_period = absl::Seconds(2);
  // Stop() gives the Lease up (holderIdentity "", leaseDurationSeconds 1) so
  // another candidate leads at its next try instead of after
  // lease_duration. client-go's ReleaseOnCancel. false: Stop() leaves the
  // Lease as a killed process would.
  bool release_on_stop = true;
};

// client-go's checks, each error naming the option and both values:
// lease_duration > renew_deadline > retry_period * 1.2, all positive; a
// lease name that is a DNS-1123 subdomain and a namespace that is a label
// (when given). InvalidArgument.
absl::Status ValidateLeaderElectionOptions(
    const LeaderElectionOptions& options);

// The identity a candidate uses when given none: $POD_NAME when set (the
// downward API's metadata.name), else in a pod ($KUBERNETES_SERVICE_HOST
// set) the hostname, which is the pod's name; else hostname + "_" + 8 random
// hex digits, so that two processes on one machine differ.
std::string DefaultLeaderIdentity();

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_LEADER_LEADER_ELECTION_OPTIONS_H_
