// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/leader/lease_record.h
//
// The leader election record as a coordination.k8s.io/v1 Lease carries it
// in its spec (client-go's resourcelock/leaselock.go and
// LeaderElectionRecord): holderIdentity, leaseDurationSeconds, acquireTime,
// renewTime (MicroTime: RFC 3339 with microseconds) and leaseTransitions.
// The times are informational: electors never compare them with their own
// clocks (leader_elector.h judges expiry by when it saw the record change).
//
// Thread-safe (plain data and pure functions).
#ifndef EBB_EXECUTORS_KUBERNETES_LEADER_LEASE_RECORD_H_
#define EBB_EXECUTORS_KUBERNETES_LEADER_LEASE_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

struct LeaseRecord {
  std::string holder_identity;  // "" = nobody holds it (released)
  int64_t lease_duration_seconds = 0;
  // MicroTime text as on the wire ("" = unset); kept as read so that a
  // renewal writes back the acquireTime it found, unchanged.
  std::string acquire_time;
  std::string renew_time;
  int64_t lease_transitions = 0;
};

// The record in `lease` (a Lease object); absent or mistyped fields read as
// empty / zero, as client-go reads nil pointers.
LeaseRecord LeaseRecordOf(const nlohmann::json& lease);

// `lease` with the record's five fields set in spec (other spec fields
// kept).
nlohmann::json WithLeaseRecord(nlohmann::json lease, const LeaseRecord& record);

// A new Lease NAME in NS holding `record` (for POST).
nlohmann::json NewLease(const std::string& ns, const std::string& name,
                        const LeaseRecord& record);

// MicroTime: "2026-01-02T03:04:05.123456Z" (UTC, always six digits).
std::string FormatMicroTime(absl::Time t);

// "/apis/coordination.k8s.io/v1/namespaces/NS/leases" and ".../NAME".
std::string LeasesPath(const std::string& ns);
std::string LeasePath(const std::string& ns, const std::string& name);

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_LEADER_LEASE_RECORD_H_
