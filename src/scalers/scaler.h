// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/scaler.h
//
// A Scaler reads one trigger's metric (reference keda-scaledjob.md §2.1 and
// §3): the value that feeds the scaling strategy, and whether the trigger is
// active. A ScalerFactory turns a typed trigger spec into a Scaler; factories
// are kept in a ScalerRegistry, filled explicitly by RegisterBuiltinScalers()
// in the cli (no static-init registration).
//
// Threading: a Scaler is used by one scale loop at a time (its own thread); it
// needs no internal locking. Factories and the registry are immutable after
// registration and may be shared across threads.
//
// Secrets: no Status message, log line or Describe() output may contain a
// password or token; mask with common/secrets.h.
#ifndef EBB_SCALERS_SCALER_H_
#define EBB_SCALERS_SCALER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "spec/manifests.h"

namespace ebb::scalers {

// Everything a factory may read. References must outlive the Create/Validate
// call only; a Scaler copies what it keeps.
struct ScalerContext {
  const spec::ScaledJob* scaled_job = nullptr;
  const spec::ScaleTrigger* trigger = nullptr;
  int trigger_index = 0;
  // authParams from the trigger's TriggerAuthentication (spec/resolve.h).
  std::map<std::string, std::string> auth_params;
  // Env of the env-source container, secrets resolved, for `<param>FromEnv`.
  std::map<std::string, std::string> resolved_env;
  // True when the trigger's TriggerAuthentication (or a Secret it reads) is
  // missing, so auth_params is incomplete: validation then neither requires
  // nor judges parameters it could have given (that error is reported once,
  // by spec validation).
  bool auth_unresolved = false;
};

struct MetricReading {
  std::string metric_name;  // KEDA's, e.g. "s0-rabbitmq-tasks"
  double value = 0;         // rounded to 3 decimals; negative/NaN/Inf -> 0
  bool active = false;
};

class Scaler {
 public:
  virtual ~Scaler() = default;
  // One reading. Errors (broker down, queue missing, 401) are returned, masked;
  // the caller rebuilds the scaler once and retries, as KEDA does.
  virtual absl::StatusOr<MetricReading> GetMetricsAndActivity() = 0;
  // The target per job (`value`), > 0 unless the metadata says 0.
  virtual double Target() const = 0;
  // KEDA's metric name for this trigger.
  virtual std::string MetricName() const = 0;
  // One line for logs and the UI with no secret: "rabbitmq
  // amqp://guest:***@h:5672/ queue tasks (QueueLength)".
  virtual std::string Describe() const = 0;
};

// What a trigger's queue-length metric counts, for the strategy pairing
// warnings of DESIGN.md ("default" wants in-flight messages counted;
// "accurate"/"eager" want them excluded).
enum class InFlightCounting { kUnknown, kIncluded, kExcluded };

class ScalerFactory {
 public:
  virtual ~ScalerFactory() = default;
  virtual std::string Type() const = 0;  // the trigger `type:`
  // Metadata keys this scaler reads, for "unknown key, did you mean" warnings.
  virtual std::vector<std::string> KnownMetadataKeys() const = 0;
  // Parses and checks the trigger without any I/O. InvalidArgument naming the
  // key, the value and the allowed values; Unimplemented ("not supported yet")
  // for recognised features ebb does not have.
  virtual absl::Status Validate(const ScalerContext& ctx) const = 0;
  // Every problem Validate could report, in one pass (for `ebb validate`);
  // empty when valid. The default gives Validate's one error.
  virtual std::vector<absl::Status> ValidateAll(
      const ScalerContext& ctx) const {
    absl::Status s = Validate(ctx);
    if (s.ok()) return {};
    return {s};
  }
  // Validate, then build a scaler (may connect). Errors are masked.
  virtual absl::StatusOr<std::unique_ptr<Scaler>> Create(
      const ScalerContext& ctx) const = 0;
  // How the metric treats in-flight messages for this trigger's metadata.
  virtual InFlightCounting CountsInFlight(const ScalerContext& ctx) const {
    return InFlightCounting::kUnknown;
  }
  // The queue this trigger watches ("" if not a queue). Used to wake the right
  // scale loop when ebb publishes to that queue.
  virtual std::string QueueName(const ScalerContext& ctx) const { return ""; }
};

class ScalerRegistry {
 public:
  // Takes ownership. A second factory for the same type replaces the first.
  void Register(std::unique_ptr<ScalerFactory> factory);
  // nullptr when no factory handles `type`.
  const ScalerFactory* Find(const std::string& type) const;
  std::vector<std::string> Types() const;

 private:
  std::map<std::string, std::unique_ptr<ScalerFactory>> factories_;
};

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_SCALER_H_
