// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/leader/lease_record.h"

#include "absl/strings/str_cat.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

std::string StringField(const Json& spec, const char* key) {
  auto it = spec.find(key);
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t IntField(const Json& spec, const char* key) {
  auto it = spec.find(key);
  return it != spec.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

LeaseRecord LeaseRecordOf(const Json& lease) {
  LeaseRecord r;
  if (!lease.is_object()) return r;
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) return r;
  r.holder_identity = StringField(*spec, "holderIdentity");
  r.lease_duration_seconds = IntField(*spec, "leaseDurationSeconds");
  r.acquire_time = StringField(*spec, "acquireTime");
  r.renew_time = StringField(*spec, "renewTime");
  r.lease_transitions = IntField(*spec, "leaseTransitions");
  return r;
}

Json WithLeaseRecord(Json lease, const LeaseRecord& record) {
  Json& spec = lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  spec["holderIdentity"] = record.holder_identity;
  spec["leaseDurationSeconds"] = record.lease_duration_seconds;
  spec["acquireTime"] = record.acquire_time;
  spec["renewTime"] = record.renew_time;
  spec["leaseTransitions"] = record.lease_transitions;
  // An unset MicroTime is null on the wire, never "".
  if (record.acquire_time.empty()) spec.erase("acquireTime");
  if (record.renew_time.empty()) spec.erase("renewTime");
  return lease;
}

Json NewLease(const std::string& ns, const std::string& name,
              const LeaseRecord& record) {
  return WithLeaseRecord({{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata", {{"name", name}, {"namespace", ns}}}},
                         record);
}

std::string FormatMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string LeasesPath(const std::string& ns) {
  return absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", ns,
                      "/leases");
}

std::string LeasePath(const std::string& ns, const std::string& name) {
  return absl::StrCat(LeasesPath(ns), "/", name);
}

}  // namespace ebb::executors::kubernetes
