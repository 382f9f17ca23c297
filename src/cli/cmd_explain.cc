// SPDX-License-Identifier: Apache-2.0
// `ebb explain`: one what-if scaling decision, every step with its numbers.
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/wiring.h"
#include "strategies/scaling_strategy.h"

namespace ebb::cli {
namespace {

// The trigger's activation value, target and label, read from its metadata the
// way the rabbitmq scaler reads it (value default 20, activationValue default
// 0).
struct TriggerParams {
  std::string label;
  double target = 20;
  double activation = 0;
};

TriggerParams ParamsOf(const spec::ScaleTrigger& t, size_t index) {
  TriggerParams p;
  p.label = t.name.empty() ? absl::StrCat("s", index, "-", t.type) : t.name;
  auto get = [&](const char* key, double* out) {
    auto it = t.metadata.find(key);
    double v;
    if (it != t.metadata.end() && absl::SimpleAtod(it->second, &v)) *out = v;
  };
  get("queueLength", &p.target);
  get("value", &p.target);
  get("activationValue", &p.activation);
  return p;
}

}  // namespace

int RunExplain(const ExplainOptions& o) {
  scalers::ScalerRegistry registry;
  RegisterBuiltinScalers(&registry);
  auto result = LoadAndCheck(o.files, registry);
  if (!result.ok()) {
    std::cerr << "error: " << result.status().message() << "\n";
    return kExitFailure;
  }
  if (result->HasErrors()) {
    PrintDiagnostics(result->diagnostics);
    return kExitFailure;
  }
  const auto& jobs = result->manifests.scaled_jobs;
  const spec::ScaledJob* job = nullptr;
  if (o.scaled_job.empty()) {
    if (jobs.size() != 1) {
      std::cerr << "error: the manifests hold " << jobs.size()
                << " ScaledJobs; choose one with --scaledjob\n";
      return kExitUsage;
    }
    job = &jobs[0];
  } else {
    job = result->manifests.FindScaledJob(o.scaled_job);
    if (!job) {
      std::cerr << "error: no ScaledJob named \"" << o.scaled_job << "\"\n";
      return kExitUsage;
    }
  }
  std::map<std::string, double> per_trigger;
  for (const std::string& tv : o.trigger_values) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(tv, absl::MaxSplits('=', 1));
    double v;
    if (!absl::SimpleAtod(kv.second, &v)) {
      std::cerr << "error: --trigger " << tv << ": expected NAME=NUMBER\n";
      return kExitUsage;
    }
    per_trigger[kv.first] = v;
  }
  if (!o.queue_length && per_trigger.empty()) {
    std::cerr << "error: give --queue-length Q (or --trigger NAME=VALUE per "
                 "trigger)\n";
    return kExitUsage;
  }

  std::vector<strategies::TriggerSample> samples;
  for (size_t i = 0; i < job->triggers.size(); ++i) {
    TriggerParams p = ParamsOf(job->triggers[i], i);
    double q = o.queue_length.value_or(0);
    if (auto it = per_trigger.find(p.label); it != per_trigger.end())
      q = it->second;
    if (auto it = per_trigger.find(std::to_string(i)); it != per_trigger.end())
      q = it->second;
    samples.push_back({.name = p.label,
                       .queue_length = q,
                       .target = p.target,
                       .active = q > p.activation});
  }
  const int64_t min = job->MinReplicaCount();
  const int64_t x = job->MaxReplicaCount();
  auto combined = strategies::CombineTriggers(
      samples, job->scaling_strategy.multiple_scalers_calculation, min, x);
  auto strategy = strategies::MakeStrategy(job->scaling_strategy);
  auto d =
      strategies::Decide(*strategy, combined, o.running, o.pending, min, x);

  std::vector<std::string> warnings;
  for (const auto& diag : result->diagnostics)
    warnings.push_back(diag.ToString());

  if (o.output == "json") {
    std::cout << nlohmann::json{{"scaledJob", job->name},
                                {"strategy", d.strategy},
                                {"active", d.active},
                                {"queueLength", d.queue_length},
                                {"maxScale", d.max_scale},
                                {"running", o.running},
                                {"pending", o.pending},
                                {"minReplicaCount", min},
                                {"maxReplicaCount", x},
                                {"effectiveMaxScale", d.effective_max},
                                {"scaleTo", d.scale_to},
                                {"create", d.create},
                                {"reason", d.reason},
                                {"steps", d.steps},
                                {"warnings", warnings}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "ScaledJob " << job->name << " (strategy " << d.strategy << ", "
            << "min " << min << ", max " << job->max_replica_count.value_or(100)
            << ")\n";
  int n = 1;
  for (const auto& s : d.steps) std::cout << "  " << n++ << ". " << s << "\n";
  std::cout << "=> create " << d.create << " job(s): " << d.reason << "\n";
  for (const auto& w : warnings) std::cout << "note: " << w << "\n";
  return kExitOk;
}

}  // namespace ebb::cli
