// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/leader/leader_election_options.h"

#include <unistd.h>

#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/names.h"

namespace ebb::executors::kubernetes {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

absl::Status MustBePositive(const char* name, absl::Duration d) {
  if (d > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("leader election: ", name, " (", absl::FormatDuration(d),
                   ") must be greater than zero"));
}

}  // namespace

absl::Status ValidateLeaderElectionOptions(
    const LeaderElectionOptions& options) {
  if (absl::Status s = MustBePositive("lease_duration", options.lease_duration);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MustBePositive("renew_deadline", options.renew_deadline);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MustBePositive("retry_period", options.retry_period);
      !s.ok()) {
    return s;
  }
  if (options.lease_duration <= options.renew_deadline) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: lease_duration (",
        absl::FormatDuration(options.lease_duration),
        ") must be greater than renew_deadline (",
        absl::FormatDuration(options.renew_deadline),
        "): the old leader must stop before another may take over"));
  }
  const absl::Duration jittered =
      options.retry_period * kLeaderElectionJitterFactor;
  if (options.renew_deadline <= jittered) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: renew_deadline (",
        absl::FormatDuration(options.renew_deadline),
        ") must be greater than retry_period (",
        absl::FormatDuration(options.retry_period), ") * ",
        kLeaderElectionJitterFactor, " = ", absl::FormatDuration(jittered)));
  }
  if (absl::Status s = ValidateDns1123Subdomain(options.lease_name,
                                                "leader election: lease_name");
      !s.ok()) {
    return s;
  }
  if (!options.lease_namespace.empty()) {
    return ValidateDns1123Label(options.lease_namespace,
                                "leader election: lease_namespace");
  }
  return absl::OkStatus();
}

std::string DefaultLeaderIdentity() {
  if (std::string pod = Env("POD_NAME"); !pod.empty()) return pod;
  char host[256] = {};
  std::string hostname = "ebb";
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    hostname = host;
  }
  if (!Env("KUBERNETES_SERVICE_HOST").empty()) return hostname;
  std::random_device seed;
  return absl::StrCat(hostname, "_",
                      absl::StrFormat("%08x", static_cast<uint32_t>(seed())));
}

}  // namespace ebb::executors::kubernetes
