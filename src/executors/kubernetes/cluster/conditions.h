// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/conditions.h
//
// A ScaledJob's `.status.conditions` as KEDA writes them
// (apis/keda/v1alpha1/condition_types.go; reference §2.7): Ready, Active,
// Fallback and Paused, initialised to Unknown, each with status, reason and
// message. ebb adds `lastTransitionTime` (the time the status last changed),
// as Kubernetes' own conditions carry it; KEDA's CRD schema does not declare
// it, so a real API server prunes it and nothing else changes.
//
// The reasons and messages ebb sets, and when (KEDA's, from
// controllers/keda/scaledjob_controller.go and
// pkg/scaling/executor/scale_jobs.go):
//   Ready  True    ScaledJobReady       the ScaledJob checks out and its
//                                       triggers answer
//          False   ScaledJobCheckFailed the ScaledJob does not check out
//                                       (message: the diagnostics)
//          Unknown PartialTriggerError  some triggers errored, one is active
//          False   TriggerError         triggers errored and none is active
//   Active True    ScalerActive / False ScalerNotActive, from each poll;
//          Unknown UnknownState         while the check fails
//   Paused True    ScaledJobPaused / False ScaledJobUnpaused, from the
//          autoscaling.keda.sh/paused annotation (Unknown until either).
//
// Values; thread-compatible.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_CONDITIONS_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_CONDITIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes::cluster {

inline constexpr char kReady[] = "Ready";
inline constexpr char kActive[] = "Active";
inline constexpr char kFallback[] = "Fallback";
inline constexpr char kPaused[] = "Paused";

inline constexpr char kTrue[] = "True";
inline constexpr char kFalse[] = "False";
inline constexpr char kUnknown[] = "Unknown";

struct Condition {
  std::string type;
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
  std::string last_transition_time;  // RFC 3339; "" when never set
};

class Conditions {
 public:
  // KEDA's GetInitializedConditions: Ready, Active, Fallback, Paused, all
  // Unknown.
  Conditions();
  // From status.conditions JSON. Types KEDA initialises that are missing are
  // added as Unknown; others are kept as they are. Not an array: Conditions().
  static Conditions FromJson(const nlohmann::json& conditions);
  nlohmann::json ToJson() const;

  // True when the stored JSON lacked one of KEDA's four types (KEDA then
  // initialises them: a write is due).
  bool initialised() const { return initialised_; }

  // Sets `type` (added when missing). lastTransitionTime becomes `now` when
  // the status changes. Returns true when status, reason or message changed.
  bool Set(const std::string& type, const std::string& status,
           const std::string& reason, const std::string& message,
           absl::Time now);
  // nullptr when absent.
  const Condition* Find(const std::string& type) const;
  // The status of `type`; Unknown when absent.
  std::string StatusOf(const std::string& type) const;

  // Same types, statuses, reasons and messages (times are not compared).
  bool SameAs(const Conditions& other) const;

  const std::vector<Condition>& all() const { return conditions_; }

 private:
  std::vector<Condition> conditions_;
  bool initialised_ = true;
};

// "2026-01-02T03:04:05Z".
std::string Rfc3339(absl::Time t);

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_CONDITIONS_H_
