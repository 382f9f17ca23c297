// SPDX-License-Identifier: Apache-2.0
//
// ValidateManifests: enum values, minimums and cross-object references
// (reference §1). Each message starts with the dotted field path; enum errors
// list the allowed values and the nearest one. Messages name Secrets and keys,
// never Secret values.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "spec/check_limits.h"
#include "spec/manifests.h"
#include "spec/scrub.h"

namespace ebb::spec {
namespace {

using Severity = Diagnostic::Severity;

constexpr char kPodSpec[] = "spec.jobTargetRef.template.spec";

class Validator {
 public:
  explicit Validator(LoadResult* result)
      : result_(result), m_(result->manifests) {}

  void Run() {
    CheckDuplicates();
    for (const TriggerAuthentication& ta : m_.trigger_authentications) {
      CheckTriggerAuthentication(ta);
    }
    for (const ScaledJob& job : m_.scaled_jobs) CheckScaledJob(job);
  }

 private:
  void Add(Severity severity, const SourceLocation& loc, std::string message) {
    result_->diagnostics.push_back({severity, loc, std::move(message)});
  }
  void Error(const SourceLocation& loc, std::string message) {
    Add(Severity::kError, loc, std::move(message));
  }
  void Warning(const SourceLocation& loc, std::string message) {
    Add(Severity::kWarning, loc, std::move(message));
  }

  static std::string DidYouMean(const std::string& word,
                                const std::vector<std::string>& candidates) {
    std::optional<std::string> near = NearestMatch(word, candidates);
    return near ? absl::StrCat(" (did you mean \"", *near, "\"?)") : "";
  }

  // `value` must be empty or one of `allowed`.
  void CheckEnum(const ScaledJob& job, const std::string& path,
                 const std::string& value,
                 const std::vector<std::string>& allowed,
                 const std::string& note = "") {
    if (value.empty()) return;
    for (const std::string& a : allowed) {
      if (a == value) return;
    }
    Error(job.LocationOf(path),
          absl::StrCat(path, ": \"", value, "\" is not one of ",
                       QuotedList(allowed), DidYouMean(value, allowed), note));
  }

  void CheckMin(const ScaledJob& job, const std::string& path, int64_t value,
                int64_t min) {
    if (value >= min) return;
    Error(job.LocationOf(path),
          absl::StrCat(path, ": must be at least ", min, ", got ", value));
  }

  // The Secret `name`/`key` in `ns`: "" when fine, else what is wrong.
  std::string SecretProblem(const std::string& name, const std::string& key,
                            const std::string& ns) {
    const Secret* secret = m_.FindSecret(name, ns);
    if (secret == nullptr) {
      return absl::StrCat("Secret \"", name, "\" not found in namespace \"", ns,
                          "\"");
    }
    if (secret->data.count(key)) return "";
    std::vector<std::string> keys;
    for (const auto& kv : secret->data) keys.push_back(kv.first);
    return absl::StrCat("Secret \"", name, "\" has no key \"", key, "\"",
                        DidYouMean(key, keys));
  }

  void CheckDuplicates() {
    std::map<std::string, SourceLocation> seen;
    auto check = [&](const std::string& kind, const std::string& id,
                     const SourceLocation& loc) {
      auto [it, inserted] = seen.emplace(kind + "/" + id, loc);
      if (inserted) return;
      Error(loc, absl::StrCat(kind, " \"", id, "\" is defined twice (first at ",
                              it->second.ToString(), ")"));
    };
    for (const Secret& s : m_.secrets) {
      check("Secret", s.namespace_ + "/" + s.name, s.location);
    }
    for (const TriggerAuthentication& ta : m_.trigger_authentications) {
      check(ta.kind,
            ta.kind == "ClusterTriggerAuthentication"
                ? ta.name
                : ta.namespace_ + "/" + ta.name,
            ta.location);
    }
    for (const ScaledJob& job : m_.scaled_jobs) {
      check("ScaledJob", job.namespace_ + "/" + job.name, job.location);
    }
  }

  void CheckTriggerAuthentication(const TriggerAuthentication& ta) {
    for (size_t i = 0; i < ta.secret_target_ref.size(); ++i) {
      const SecretTargetRef& ref = ta.secret_target_ref[i];
      if (ref.name.empty() || ref.key.empty()) continue;  // parse error
      std::string problem = SecretProblem(ref.name, ref.key, ta.namespace_);
      if (problem.empty()) continue;
      Error(ref.location,
            absl::StrCat("spec.secretTargetRef[", i, "]: ", problem,
                         " (parameter \"", ref.parameter, "\" of ", ta.kind,
                         " \"", ta.name, "\")"));
    }
  }

  void CheckScaledJob(const ScaledJob& job) {
    const ScalingStrategy& s = job.scaling_strategy;
    CheckEnum(job, "spec.scalingStrategy.strategy", s.strategy_as_written,
              {"default", "custom", "accurate", "eager"});
    if (s.strategy_as_written == "custom" &&
        !s.custom_scaling_running_job_percentage) {
      const std::string pct =
          "spec.scalingStrategy.customScalingRunningJobPercentage";
      const std::string& w = s.custom_scaling_running_job_percentage_as_written;
      Warning(
          job.LocationOf(w.empty() ? "spec.scalingStrategy.strategy" : pct),
          absl::StrCat(pct, ": ",
                       w.empty() ? "is not set"
                                 : absl::StrCat("\"", w, "\" is not a number"),
                       "; KEDA silently falls back to the default "
                       "strategy, and so does ebb"));
    }
    CheckEnum(job, "spec.scalingStrategy.multipleScalersCalculation",
              s.multiple_scalers_calculation_as_written,
              {"min", "max", "avg", "sum"});
    CheckEnum(job, "spec.rollout.strategy", job.rollout.strategy,
              {"default", "gradual", "immediate"});
    CheckEnum(job, "spec.rollout.propagationPolicy",
              job.rollout.propagation_policy, {"foreground", "background"});
    CheckEnum(job, "spec.rolloutStrategy", job.rollout_strategy,
              {"gradual", "immediate"});
    if (!job.rollout_strategy.empty()) {
      Warning(job.LocationOf("spec.rolloutStrategy"),
              "spec.rolloutStrategy: deprecated since KEDA 2.8; use "
              "spec.rollout.strategy (rolloutStrategy still wins when set)");
    }
    CheckEnum(job, absl::StrCat(kPodSpec, ".restartPolicy"),
              job.job_target_ref.template_.restart_policy,
              {"OnFailure", "Never"},
              job.job_target_ref.template_.restart_policy == "Always"
                  ? " (Jobs reject Always)"
                  : "");

    CheckMin(job, "spec.pollingInterval", job.polling_interval, 1);
    CheckMin(job, "spec.successfulJobsHistoryLimit",
             job.successful_jobs_history_limit, 0);
    CheckMin(job, "spec.failedJobsHistoryLimit", job.failed_jobs_history_limit,
             0);
    if (job.min_replica_count) {
      CheckMin(job, "spec.minReplicaCount", *job.min_replica_count, 0);
    }
    if (job.max_replica_count) {
      CheckMin(job, "spec.maxReplicaCount", *job.max_replica_count, 1);
    }
    CheckMin(job, "spec.jobTargetRef.backoffLimit",
             job.job_target_ref.backoff_limit, 0);
    if (job.min_replica_count && job.max_replica_count &&
        *job.min_replica_count > *job.max_replica_count) {
      const int32_t max = *job.max_replica_count;
      Warning(job.LocationOf("spec.minReplicaCount"),
              absl::StrCat("spec.minReplicaCount (", *job.min_replica_count,
                           ") is greater than spec.maxReplicaCount (", max,
                           "): KEDA then keeps ", max,
                           " jobs as the floor and still "
                           "allows ",
                           max, " more above it, so up to ", 2 * int64_t{max},
                           " jobs can run at once; set minReplicaCount <= "
                           "maxReplicaCount"));
    }
    CheckTriggers(job);
    CheckPod(job);
  }

  void CheckTriggers(const ScaledJob& job) {
    if (job.triggers.empty()) {
      Error(job.LocationOf("spec.triggers"),
            "spec.triggers: at least one trigger is required");
      return;
    }
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < job.triggers.size(); ++i) {
      const ScaleTrigger& t = job.triggers[i];
      const std::string path = absl::StrCat("spec.triggers[", i, "]");
      if (t.type.empty()) {
        auto it = job.field_locations.find(path + ".type");
        Error(it == job.field_locations.end() ? t.location : it->second,
              path + ".type: required, must be non-empty");
      }
      if (!t.name.empty()) {
        auto [it, inserted] = names.emplace(t.name, i);
        if (!inserted) {
          Error(job.LocationOf(path + ".name"),
                absl::StrCat(path, ".name: duplicate trigger name \"", t.name,
                             "\" (also spec.triggers[", it->second,
                             "]); trigger names must be unique"));
        }
      }
      if (t.authentication_ref) CheckAuthRef(job, path, *t.authentication_ref);
    }
  }

  void CheckAuthRef(const ScaledJob& job, const std::string& trigger_path,
                    const AuthenticationRef& ref) {
    const std::string path = trigger_path + ".authenticationRef";
    CheckEnum(job, path + ".kind", ref.kind,
              {"TriggerAuthentication", "ClusterTriggerAuthentication"});
    if (ref.kind != "TriggerAuthentication" &&
        ref.kind != "ClusterTriggerAuthentication") {
      return;
    }
    if (ref.name.empty()) {
      Error(job.LocationOf(path), path + ".name: required field is missing");
      return;
    }
    const TriggerAuthentication* ta =
        m_.FindAuthentication(ref, job.namespace_);
    if (ta == nullptr) {
      std::vector<std::string> names;
      for (const TriggerAuthentication& a : m_.trigger_authentications) {
        if (a.kind == ref.kind) names.push_back(a.name);
      }
      Error(job.LocationOf(path + ".name"),
            absl::StrCat(
                path, ": ", ref.kind, " \"", ref.name, "\" not found",
                ref.kind == "TriggerAuthentication"
                    ? absl::StrCat(" in namespace \"", job.namespace_, "\"")
                    : "",
                DidYouMean(ref.name, names)));
      return;
    }
    for (const AuthEnvRef& env : ta->env) {
      if (env.container_name.empty() ||
          FindContainer(job, env.container_name)) {
        continue;
      }
      Error(env.location,
            absl::StrCat("spec.env: containerName \"", env.container_name,
                         "\" is not a container of ScaledJob \"", job.name,
                         "\""));
    }
  }

  static const Container* FindContainer(const ScaledJob& job,
                                        const std::string& name) {
    for (const Container& c : job.job_target_ref.template_.containers) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }

  void CheckPod(const ScaledJob& job) {
    const PodTemplate& pod = job.job_target_ref.template_;
    std::vector<std::string> container_names, volume_names;
    for (const Container& c : pod.containers) container_names.push_back(c.name);
    for (const Volume& v : pod.volumes) volume_names.push_back(v.name);

    if (!job.env_source_container_name.empty() &&
        !FindContainer(job, job.env_source_container_name)) {
      Error(
          job.LocationOf("spec.envSourceContainerName"),
          absl::StrCat(
              "spec.envSourceContainerName: \"", job.env_source_container_name,
              "\" is not a container of the job template",
              DidYouMean(job.env_source_container_name, container_names)));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < pod.containers.size(); ++i) {
      const Container& c = pod.containers[i];
      const std::string path = absl::StrCat(kPodSpec, ".containers[", i, "]");
      if (c.name.empty()) {
        Error(c.location, path + ".name: required field is missing");
      } else if (!seen.insert(c.name).second) {
        Error(job.LocationOf(path + ".name"),
              absl::StrCat(path, ".name: duplicate container name \"", c.name,
                           "\""));
      }
      for (size_t j = 0; j < c.env.size(); ++j) {
        const EnvVar& e = c.env[j];
        if (!e.secret_key_ref || e.secret_key_ref->optional ||
            e.secret_key_ref->name.empty() || e.secret_key_ref->key.empty()) {
          continue;
        }
        std::string problem = SecretProblem(
            e.secret_key_ref->name, e.secret_key_ref->key, job.namespace_);
        if (problem.empty()) continue;
        Error(e.location, absl::StrCat(path, ".env[", j,
                                       "].valueFrom.secretKeyRef: ", problem,
                                       " (env ", e.name, ")"));
      }
      for (size_t j = 0; j < c.volume_mounts.size(); ++j) {
        const VolumeMount& vm = c.volume_mounts[j];
        if (vm.name.empty()) continue;
        bool found = false;
        for (const std::string& v : volume_names) found = found || v == vm.name;
        if (found) continue;
        const std::string mpath = absl::StrCat(path, ".volumeMounts[", j, "]");
        Error(job.LocationOf(mpath + ".name"),
              absl::StrCat(mpath, ".name: volume \"", vm.name,
                           "\" is not declared in ", kPodSpec, ".volumes",
                           DidYouMean(vm.name, volume_names)));
      }
    }
    for (size_t i = 0; i < pod.volumes.size(); ++i) {
      const Volume& v = pod.volumes[i];
      if (v.empty_dir) continue;
      Warning(v.location,
              absl::StrCat(kPodSpec, ".volumes[", i, "]: volume \"", v.name,
                           "\" is ",
                           v.source_kind.empty()
                               ? "missing a volume source"
                               : absl::StrCat("a ", v.source_kind, " volume"),
                           "; the local executor provides only emptyDir "
                           "volumes (the Kubernetes executor passes it on)"));
    }
  }

  LoadResult* result_;
  const Manifests& m_;
};

}  // namespace

void ValidateManifests(LoadResult* result) {
  const size_t first = result->diagnostics.size();
  Validator(result).Run();
  internal::CheckExecLimits(result);
  internal::ScrubSecretValues(result, first);
}

}  // namespace ebb::spec
