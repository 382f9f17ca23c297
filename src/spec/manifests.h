// SPDX-License-Identifier: Apache-2.0
//
// File: spec/manifests.h
//
// Typed KEDA manifests: `keda.sh/v1alpha1` ScaledJob and TriggerAuthentication,
// and `v1` Secret, as KEDA 2.21 takes them (see
// ../shared/reference/keda-scaledjob.md §1; the Go types are
// apis/keda/v1alpha1/scaledjob_types.go, scaletriggers_types.go and
// triggerauthentication_types.go in kedacore/keda).
//
// The pipeline is three separate steps, as in Triton's model_config_utils:
//   ParseManifests  (YAML text -> structs, with source locations; unknown keys
//   warned) NormalizeScaledJob (fills KEDA's defaults) ValidateManifests
//   (enums, minimums, cross-object references)
// LoadManifests runs all three over files and directories.
//
// Every Diagnostic names file and line; errors name the allowed values.
// Values here are plain data: copyable, thread-compatible.
#ifndef EBB_SPEC_MANIFESTS_H_
#define EBB_SPEC_MANIFESTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::spec {

// Where a value came from. line and column are 1-based; 0 when unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  // "file:line:column" (or "file:line", or "file" when unknown).
  std::string ToString() const;
};

struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;  // Never contains a secret value.
  // "file:line:col: error: message"
  std::string ToString() const;
};

// ---------------------------------------------------------------- Secret (v1)
struct Secret {
  std::string name;
  std::string namespace_ = "default";
  // Decoded values: `data` (base64-decoded) merged with `stringData` (which
  // wins, as in Kubernetes).
  std::map<std::string, std::string> data;
  SourceLocation location;
};

// ---------------------------------------------------- TriggerAuthentication
struct SecretTargetRef {
  std::string parameter;  // authParams key, e.g. "host"
  std::string name;       // Secret name
  std::string key;        // key in the Secret
  SourceLocation location;
};

struct AuthEnvRef {
  std::string parameter;
  std::string name;            // env var name in the job template container
  std::string container_name;  // "" = envSourceContainerName or first container
  SourceLocation location;
};

struct TriggerAuthentication {
  std::string name;
  // metadata.namespace; for a ClusterTriggerAuthentication without one,
  // "keda" (KEDA reads its Secrets from its own namespace).
  std::string namespace_ = "default";
  std::string kind =
      "TriggerAuthentication";  // or ClusterTriggerAuthentication
  std::vector<AuthEnvRef> env;
  std::vector<SecretTargetRef> secret_target_ref;
  SourceLocation location;
};

// ------------------------------------------- the part of a Pod spec ebb runs
struct SecretKeySelector {
  std::string name;
  std::string key;
  bool optional = false;
};

struct EnvVar {
  std::string name;
  std::string value;                                // `value`
  std::optional<SecretKeySelector> secret_key_ref;  // `valueFrom.secretKeyRef`
  SourceLocation location;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  bool read_only = false;
};

struct ExecProbe {
  std::vector<std::string> command;
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;  // Kubernetes `command` (entrypoint)
  std::vector<std::string> args;     // Kubernetes `args`
  std::string working_dir;
  std::vector<EnvVar> env;
  std::vector<VolumeMount> volume_mounts;
  std::optional<ExecProbe>
      readiness_probe;  // only `exec` probes are run locally
  // resources.limits.cpu as written ("2", "1.5", "500m"); "" = none. The
  // local executor hands it to the job as EBB_CPU_LIMIT (worker threads).
  std::string cpu_limit;
  SourceLocation location;
};

struct Volume {
  std::string name;
  bool empty_dir = false;   // the only kind the local executor provides
  std::string source_kind;  // the volume source key as written: "emptyDir",
                            // "hostPath", ...; "" when none was given
  SourceLocation location;
};

struct PodTemplate {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<Container> containers;
  std::vector<Volume> volumes;
  std::string restart_policy = "OnFailure";  // KEDA's default when empty
  int64_t termination_grace_period_seconds = 30;
};

// batch/v1 JobSpec, the fields ebb's executors read. The full original is kept
// as YAML text for the Kubernetes executor.
struct JobSpec {
  PodTemplate template_;
  int32_t backoff_limit = 6;  // Kubernetes default
  std::optional<int64_t> active_deadline_seconds;
  int32_t parallelism = 1;
  int32_t completions = 1;
  std::optional<int32_t> ttl_seconds_after_finished;
  std::string raw_yaml;  // jobTargetRef exactly as written
  // jobTargetRef as JSON with the types as written (a quoted "1" stays a
  // string: spec/yaml_json.h); what the Kubernetes executor sends.
  std::string raw_json;
};

// ---------------------------------------------------------------- ScaledJob
struct AuthenticationRef {
  std::string name;
  std::string kind = "TriggerAuthentication";
};

struct ScaleTrigger {
  std::string type;  // "rabbitmq", ...
  std::string name;  // optional; unique among the triggers
  std::map<std::string, std::string> metadata;
  std::map<std::string, SourceLocation> metadata_locations;  // per metadata key
  std::optional<AuthenticationRef> authentication_ref;
  SourceLocation location;
};

enum class ScalingStrategyType { kDefault, kCustom, kAccurate, kEager };
enum class MultipleScalersCalculation { kMax, kMin, kAvg, kSum };

struct ScalingStrategy {
  // `strategy`, default "default". NormalizeScaledJob turns `custom` whose
  // customScalingRunningJobPercentage does not parse into kDefault, as KEDA
  // does (and ValidateManifests warns about it).
  ScalingStrategyType strategy = ScalingStrategyType::kDefault;
  std::string strategy_as_written;                              // "" when unset
  int32_t custom_scaling_queue_length_deduction = 0;            // nil -> 0
  std::optional<double> custom_scaling_running_job_percentage;  // parsed float
  std::string custom_scaling_running_job_percentage_as_written;
  std::vector<std::string> pending_pod_conditions;
  MultipleScalersCalculation multiple_scalers_calculation =
      MultipleScalersCalculation::kMax;
  std::string multiple_scalers_calculation_as_written;  // "" when unset
};

struct Rollout {
  std::string strategy;            // "", "default", "gradual", "immediate"
  std::string propagation_policy;  // "", "foreground", "background"
  // True when old-generation jobs are deleted on a spec change (anything but
  // gradual).
  bool DeletesOldJobs() const { return strategy != "gradual"; }
  bool Foreground() const { return propagation_policy == "foreground"; }
};

struct ScaledJob {
  std::string name;
  std::string namespace_ = "default";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int64_t generation = 1;  // metadata.generation when given; ebb's controller
                           // bumps its own counter on spec changes otherwise
  // metadata.uid when the ScaledJob exists in a cluster (read from the API
  // server); the Kubernetes executor makes it its Jobs' ownerReference. ""
  // for manifests from files.
  std::string uid;

  JobSpec job_target_ref;
  int32_t polling_interval = 30;                // seconds, min 1
  int32_t successful_jobs_history_limit = 100;  // min 0
  int32_t failed_jobs_history_limit = 100;      // min 0
  std::optional<int32_t> min_replica_count;     // default 0
  std::optional<int32_t> max_replica_count;     // default 100
  std::string rollout_strategy;  // deprecated top-level `rolloutStrategy`
  Rollout rollout;
  std::string env_source_container_name;
  ScalingStrategy scaling_strategy;
  std::vector<ScaleTrigger> triggers;
  SourceLocation location;
  // Where each parsed field's value was written, keyed by its dotted path from
  // the document root: "spec.pollingInterval", "spec.triggers[0].name",
  // "spec.jobTargetRef.template.spec.containers[1].volumeMounts[0].name", ...
  // Lets validation and later components point at the exact line.
  std::map<std::string, SourceLocation> field_locations;
  // The location of `path` if recorded, else of the ScaledJob itself.
  SourceLocation LocationOf(const std::string& path) const;

  // KEDA's getters (scaledjob_types.go): MinReplicaCount() is min, or max when
  // min > max. MaxReplicaCount() is max - min when both set and min <= max; max
  // when min > max; 100 when max is unset even if min is set.
  int64_t MinReplicaCount() const;
  int64_t MaxReplicaCount() const;
  // True when `autoscaling.keda.sh/paused` is set and is not a bool false.
  bool Paused() const;
  // The rollout strategy in force: `rolloutStrategy` if non-empty, else
  // rollout.strategy.
  std::string EffectiveRolloutStrategy() const;
};

// Everything loaded from a set of files.
struct Manifests {
  std::vector<ScaledJob> scaled_jobs;
  std::vector<TriggerAuthentication> trigger_authentications;
  std::vector<Secret> secrets;

  // First ScaledJob with this name (any namespace); nullptr when none.
  const ScaledJob* FindScaledJob(const std::string& name) const;
  const ScaledJob* FindScaledJob(const std::string& name,
                                 const std::string& ns) const;
  const Secret* FindSecret(const std::string& name,
                           const std::string& ns) const;
  // kind TriggerAuthentication only.
  const TriggerAuthentication* FindTriggerAuthentication(
      const std::string& name, const std::string& ns) const;
  // kind ClusterTriggerAuthentication (cluster-scoped: any namespace).
  const TriggerAuthentication* FindClusterTriggerAuthentication(
      const std::string& name) const;
  // What a trigger's authenticationRef names, seen from a ScaledJob in `ns`;
  // nullptr when absent or when ref.kind is neither kind.
  const TriggerAuthentication* FindAuthentication(const AuthenticationRef& ref,
                                                  const std::string& ns) const;
};

struct LoadResult {
  Manifests manifests;
  std::vector<Diagnostic> diagnostics;  // warnings and errors, in file order
  bool HasErrors() const;
};

// Parses one YAML text holding one or more documents. `file` is used only for
// locations. Documents of other kinds (Deployment, Service, ...) are skipped
// with a warning; a document without apiVersion/kind is an error. Syntax errors
// become one error Diagnostic with the parser's line. Never throws.
void ParseManifests(const std::string& yaml_text, const std::string& file,
                    LoadResult* out);

// Fills KEDA's defaults in place (restartPolicy OnFailure when empty, ...).
void NormalizeScaledJob(ScaledJob* job);

// Cross-object and value checks (reference §1 and §3.1): appends diagnostics.
void ValidateManifests(LoadResult* result);

// ebb's image mapping for local runs (executors/local/image_map.h). It may sit
// beside the manifests; directory loading skips it.
inline constexpr char kLocalConfigFile[] = "ebb-local.yaml";

// Loads files and directories (*.yaml, *.yml, *.json in a directory, not
// recursive, kLocalConfigFile excepted), then normalizes and validates. Returns
// a Status only when a path cannot be read (NotFound, naming the path);
// manifest problems are in LoadResult::diagnostics.
absl::StatusOr<LoadResult> LoadManifests(const std::vector<std::string>& paths);

}  // namespace ebb::spec

#endif  // EBB_SPEC_MANIFESTS_H_
