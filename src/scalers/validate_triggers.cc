// SPDX-License-Identifier: Apache-2.0
#include "scalers/validate_triggers.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "spec/resolve.h"

namespace ebb::scalers {
namespace {

spec::Diagnostic Diag(spec::Diagnostic::Severity severity,
                      const spec::SourceLocation& location,
                      std::string message) {
  spec::Diagnostic d;
  d.severity = severity;
  d.location = location;
  d.message = std::move(message);
  return d;
}

std::string TriggerLabel(const spec::ScaledJob& job, int index,
                         const spec::ScaleTrigger& trigger) {
  std::string label = absl::StrCat("ScaledJob \"", job.name, "\" trigger ",
                                   index, " (", trigger.type);
  if (!trigger.name.empty()) absl::StrAppend(&label, " \"", trigger.name, "\"");
  absl::StrAppend(&label, ")");
  return label;
}

const char* StrategyName(spec::ScalingStrategyType type) {
  switch (type) {
    case spec::ScalingStrategyType::kCustom:
      return "custom";
    case spec::ScalingStrategyType::kAccurate:
      return "accurate";
    case spec::ScalingStrategyType::kEager:
      return "eager";
    case spec::ScalingStrategyType::kDefault:
      break;
  }
  return "default";
}

// The line of the metadata key an error names ("metadata.value: ...", or
// "value ..."), else the trigger's own line.
spec::SourceLocation KeyLocation(const spec::ScaleTrigger& trigger,
                                 const std::string& message) {
  const spec::SourceLocation* best = nullptr;
  size_t best_pos = std::string::npos, best_len = 0;
  for (const auto& [key, loc] : trigger.metadata_locations) {
    const size_t pos = message.find(key);
    if (pos == std::string::npos) continue;
    // The earliest mention wins; at the same position the longer key does.
    if (pos < best_pos || (pos == best_pos && key.size() > best_len)) {
      best = &loc;
      best_pos = pos;
      best_len = key.size();
    }
  }
  return best ? *best : trigger.location;
}

// The context of a trigger whose authParams cannot be resolved: the env only,
// marked auth_unresolved.
ScalerContext ContextWithoutAuth(const spec::ScaledJob& job, int index,
                                 const spec::Manifests& manifests) {
  ScalerContext ctx;
  ctx.scaled_job = &job;
  ctx.trigger = &job.triggers.at(index);
  ctx.trigger_index = index;
  ctx.auth_unresolved = true;
  absl::StatusOr<const spec::Container*> container =
      spec::EnvSourceContainer(job);
  if (container.ok() && *container != nullptr) {
    absl::StatusOr<std::map<std::string, std::string>> env =
        spec::ResolveContainerEnv(**container, job.namespace_, manifests);
    if (env.ok()) ctx.resolved_env = *std::move(env);
  }
  return ctx;
}

}  // namespace

absl::StatusOr<ScalerContext> MakeScalerContext(
    const spec::ScaledJob& job, int index, const spec::Manifests& manifests) {
  ScalerContext ctx;
  ctx.scaled_job = &job;
  ctx.trigger = &job.triggers.at(index);
  ctx.trigger_index = index;
  absl::StatusOr<std::map<std::string, std::string>> auth =
      spec::ResolveAuthParams(job, *ctx.trigger, manifests);
  if (!auth.ok()) return auth.status();
  ctx.auth_params = *std::move(auth);
  absl::StatusOr<const spec::Container*> container =
      spec::EnvSourceContainer(job);
  if (container.ok() && *container != nullptr) {
    absl::StatusOr<std::map<std::string, std::string>> env =
        spec::ResolveContainerEnv(**container, job.namespace_, manifests);
    if (env.ok()) ctx.resolved_env = *std::move(env);
  }
  return ctx;
}

void ValidateTriggers(const ScalerRegistry& registry,
                      spec::LoadResult* result) {
  using Severity = spec::Diagnostic::Severity;
  std::vector<spec::Diagnostic> out;
  const spec::Manifests& manifests = result->manifests;
  for (const spec::ScaledJob& job : manifests.scaled_jobs) {
    for (size_t i = 0; i < job.triggers.size(); ++i) {
      const spec::ScaleTrigger& trigger = job.triggers[i];
      const int index = static_cast<int>(i);
      const std::string label = TriggerLabel(job, index, trigger);
      const ScalerFactory* factory = registry.Find(trigger.type);
      if (factory == nullptr) {
        std::string msg = absl::StrCat(
            label, ": unknown trigger type \"", trigger.type,
            "\"; registered types: ", QuotedList(registry.Types()));
        if (auto near = NearestMatch(trigger.type, registry.Types())) {
          absl::StrAppend(&msg, " (did you mean \"", *near, "\"?)");
        }
        out.push_back(Diag(Severity::kError, trigger.location, msg));
        continue;
      }

      const std::vector<std::string> known = factory->KnownMetadataKeys();
      const std::set<std::string> known_set(known.begin(), known.end());
      for (const auto& [key, value] : trigger.metadata) {
        if (known_set.count(key) != 0) continue;
        auto loc_it = trigger.metadata_locations.find(key);
        const spec::SourceLocation& loc =
            loc_it != trigger.metadata_locations.end() ? loc_it->second
                                                       : trigger.location;
        std::string msg =
            absl::StrCat(label, ": unknown metadata key \"", key,
                         "\" is ignored (KEDA ignores it silently)");
        if (auto near = NearestMatch(key, known)) {
          absl::StrAppend(&msg, "; did you mean \"", *near, "\"?");
        }
        out.push_back(Diag(Severity::kWarning, loc, msg));
      }

      absl::StatusOr<ScalerContext> ctx =
          MakeScalerContext(job, index, manifests);
      if (!ctx.ok()) {
        // A missing TriggerAuthentication, Secret or key: spec validation
        // reports it (once, at its line). Check the rest of the trigger
        // without its authParams rather than hide its other errors.
        ctx = ContextWithoutAuth(job, index, manifests);
      }
      // Every error in one pass, each once.
      std::set<std::string> said;
      for (const absl::Status& e : factory->ValidateAll(*ctx)) {
        const std::string message(e.message());
        if (!said.insert(message).second) continue;
        out.push_back(Diag(Severity::kError, KeyLocation(trigger, message),
                           absl::StrCat(label, ": ", message)));
      }
      if (!said.empty()) continue;

      // A strategy that is itself invalid is reported by spec; a pairing
      // warning about the default it would fall back to would only confuse.
      const std::string& written = job.scaling_strategy.strategy_as_written;
      if (!written.empty() && written != "default" && written != "custom" &&
          written != "accurate" && written != "eager") {
        continue;
      }
      const spec::ScalingStrategyType strategy = job.scaling_strategy.strategy;
      const InFlightCounting counting = factory->CountsInFlight(*ctx);
      if (strategy == spec::ScalingStrategyType::kDefault &&
          counting == InFlightCounting::kExcluded) {
        out.push_back(Diag(
            Severity::kWarning, trigger.location,
            absl::StrCat(
                label,
                ": scalingStrategy \"default\" subtracts running jobs from a "
                "count that already excludes the messages they hold "
                "(in-flight/unacknowledged), so new messages can wait until "
                "running jobs finish (starvation); use scalingStrategy "
                "\"accurate\" with this metric")));
      } else if ((strategy == spec::ScalingStrategyType::kAccurate ||
                  strategy == spec::ScalingStrategyType::kEager) &&
                 counting == InFlightCounting::kIncluded) {
        out.push_back(Diag(
            Severity::kWarning, trigger.location,
            absl::StrCat(
                label, ": scalingStrategy \"", StrategyName(strategy),
                "\" expects a count that excludes in-flight messages, but "
                "this metric includes messages already held by running jobs, "
                "so it creates duplicate jobs; set excludeUnacknowledged: "
                "\"true\" (or use the AMQP protocol), or use scalingStrategy "
                "\"default\"")));
      }
    }
  }
  for (spec::Diagnostic& d : out) result->diagnostics.push_back(std::move(d));
}

}  // namespace ebb::scalers
