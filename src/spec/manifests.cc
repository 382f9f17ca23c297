// SPDX-License-Identifier: Apache-2.0
//
// Plain-data methods of the manifest structs, NormalizeScaledJob and
// LoadManifests. Parsing is in parse*.cc, validation in validate.cc.
#include "spec/manifests.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "spec/check_limits.h"
#include "spec/parse_util.h"

namespace ebb::spec {
namespace {

constexpr char kPausedAnnotation[] = "autoscaling.keda.sh/paused";

// Go's strconv.ParseFloat, closely enough for a percentage field.
std::optional<double> ParseGoFloat(const std::string& text) {
  std::string s = text;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  if (s.empty()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// The files a path stands for: itself, or a directory's *.yaml, *.yml and
// *.json entries in name order, except ebb's own local-run config
// (kLocalConfigFile), which lives beside the manifests it maps.
absl::StatusOr<std::vector<std::string>> ExpandPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": no such file or directory"));
  }
  if (!fs::is_directory(st)) return std::vector<std::string>{path};
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || name == kLocalConfigFile) continue;
    if (absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
        absl::EndsWith(name, ".json")) {
      files.push_back(e.path().string());
    }
  }
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot list directory: ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return absl::StrCat(file, ":", line);
  return absl::StrCat(file, ":", line, ":", column);
}

std::string Diagnostic::ToString() const {
  return absl::StrCat(location.ToString(), ": ",
                      severity == Severity::kError ? "error" : "warning", ": ",
                      message);
}

SourceLocation ScaledJob::LocationOf(const std::string& path) const {
  auto it = field_locations.find(path);
  return it == field_locations.end() ? location : it->second;
}

int64_t ScaledJob::MinReplicaCount() const {
  if (!min_replica_count) return 0;
  if (max_replica_count && *min_replica_count > *max_replica_count) {
    return *max_replica_count;
  }
  return *min_replica_count;
}

int64_t ScaledJob::MaxReplicaCount() const {
  if (min_replica_count && max_replica_count &&
      *min_replica_count <= *max_replica_count) {
    return int64_t{*max_replica_count} - *min_replica_count;
  }
  if (max_replica_count) return *max_replica_count;
  return 100;
}

bool ScaledJob::Paused() const {
  auto it = annotations.find(kPausedAnnotation);
  if (it == annotations.end()) return false;
  std::optional<bool> value = internal::ParseGoBool(it->second);
  return !value.has_value() || *value;
}

std::string ScaledJob::EffectiveRolloutStrategy() const {
  return rollout_strategy.empty() ? rollout.strategy : rollout_strategy;
}

const ScaledJob* Manifests::FindScaledJob(const std::string& name) const {
  for (const ScaledJob& job : scaled_jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

const ScaledJob* Manifests::FindScaledJob(const std::string& name,
                                          const std::string& ns) const {
  for (const ScaledJob& job : scaled_jobs) {
    if (job.name == name && job.namespace_ == ns) return &job;
  }
  return nullptr;
}

const Secret* Manifests::FindSecret(const std::string& name,
                                    const std::string& ns) const {
  for (const Secret& s : secrets) {
    if (s.name == name && s.namespace_ == ns) return &s;
  }
  return nullptr;
}

const TriggerAuthentication* Manifests::FindTriggerAuthentication(
    const std::string& name, const std::string& ns) const {
  for (const TriggerAuthentication& ta : trigger_authentications) {
    if (ta.kind == "TriggerAuthentication" && ta.name == name &&
        ta.namespace_ == ns) {
      return &ta;
    }
  }
  return nullptr;
}

const TriggerAuthentication* Manifests::FindClusterTriggerAuthentication(
    const std::string& name) const {
  for (const TriggerAuthentication& ta : trigger_authentications) {
    if (ta.kind == "ClusterTriggerAuthentication" && ta.name == name) {
      return &ta;
    }
  }
  return nullptr;
}

const TriggerAuthentication* Manifests::FindAuthentication(
    const AuthenticationRef& ref, const std::string& ns) const {
  if (ref.kind == "ClusterTriggerAuthentication") {
    return FindClusterTriggerAuthentication(ref.name);
  }
  if (ref.kind.empty() || ref.kind == "TriggerAuthentication") {
    return FindTriggerAuthentication(ref.name, ns);
  }
  return nullptr;
}

bool LoadResult::HasErrors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) {
                       return d.severity == Diagnostic::Severity::kError;
                     });
}

void NormalizeScaledJob(ScaledJob* job) {
  PodTemplate& pod = job->job_target_ref.template_;
  if (pod.restart_policy.empty()) pod.restart_policy = "OnFailure";

  ScalingStrategy& s = job->scaling_strategy;
  s.custom_scaling_running_job_percentage =
      ParseGoFloat(s.custom_scaling_running_job_percentage_as_written);
  const std::string& st = s.strategy_as_written;
  if (st == "custom") {
    // KEDA: a percentage that does not parse (or is empty) silently means
    // the default strategy, even when the deduction is set.
    s.strategy = s.custom_scaling_running_job_percentage
                     ? ScalingStrategyType::kCustom
                     : ScalingStrategyType::kDefault;
  } else if (st == "accurate") {
    s.strategy = ScalingStrategyType::kAccurate;
  } else if (st == "eager") {
    s.strategy = ScalingStrategyType::kEager;
  } else {
    s.strategy = ScalingStrategyType::kDefault;  // "", "default", unknown
  }
  const std::string& mc = s.multiple_scalers_calculation_as_written;
  if (mc == "min") {
    s.multiple_scalers_calculation = MultipleScalersCalculation::kMin;
  } else if (mc == "avg") {
    s.multiple_scalers_calculation = MultipleScalersCalculation::kAvg;
  } else if (mc == "sum") {
    s.multiple_scalers_calculation = MultipleScalersCalculation::kSum;
  } else {
    s.multiple_scalers_calculation = MultipleScalersCalculation::kMax;
  }
}

absl::StatusOr<LoadResult> LoadManifests(
    const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<std::string>> expanded = ExpandPath(path);
    if (!expanded.ok()) return expanded.status();
    files.insert(files.end(), expanded->begin(), expanded->end());
  }
  LoadResult result;
  for (const std::string& file : files) {
    if (!internal::CheckFileSize(file, &result)) continue;
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    ParseManifests(*text, file, &result);
  }
  for (ScaledJob& job : result.manifests.scaled_jobs) NormalizeScaledJob(&job);
  ValidateManifests(&result);
  // File order as given, then line and column within each file.
  auto rank = [&files](const std::string& f) {
    return std::find(files.begin(), files.end(), f) - files.begin();
  };
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [&rank](const Diagnostic& a, const Diagnostic& b) {
                     const SourceLocation& x = a.location;
                     const SourceLocation& y = b.location;
                     if (x.file != y.file) return rank(x.file) < rank(y.file);
                     if (x.line != y.line) return x.line < y.line;
                     return x.column < y.column;
                   });
  return result;
}

}  // namespace ebb::spec
