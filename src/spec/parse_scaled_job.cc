// SPDX-License-Identifier: Apache-2.0
//
// ScaledJob (keda.sh/v1alpha1) spec parsing: top-level fields,
// scalingStrategy, rollout and triggers. jobTargetRef is in parse_pod.cc.
#include <string>

#include "absl/strings/str_cat.h"
#include "spec/known_keys.h"
#include "spec/parse_util.h"
#include "spec/parsers.h"

namespace ebb::spec::internal {
namespace {

// Reads helpers that also record where the value was written.
class FieldReader {
 public:
  FieldReader(ParseContext* ctx, ScaledJob* job) : ctx_(ctx), job_(job) {}

  // Records the location of `node` under `path` (when present) and returns
  // whether it is present.
  bool Mark(const YAML::Node& node, const std::string& path) {
    if (!node.IsDefined()) return false;
    job_->field_locations[path] = ctx_->Loc(node);
    return Present(node);
  }
  void String(const YAML::Node& node, const std::string& path,
              std::string* out) {
    if (Mark(node, path)) ctx_->ReadString(node, path, out);
  }
  void Int32(const YAML::Node& node, const std::string& path, int32_t* out) {
    if (Mark(node, path)) ctx_->ReadInt32(node, path, out);
  }
  void OptInt32(const YAML::Node& node, const std::string& path,
                std::optional<int32_t>* out) {
    if (Mark(node, path)) ctx_->ReadOptInt32(node, path, out);
  }

 private:
  ParseContext* ctx_;
  ScaledJob* job_;
};

void ParseScalingStrategy(ParseContext* ctx, FieldReader* r,
                          const YAML::Node& node, ScalingStrategy* s) {
  const std::string path = "spec.scalingStrategy";
  if (!r->Mark(node, path) || !ctx->ExpectMap(node, path)) return;
  ctx->CheckKeys(node, path, ScalingStrategyKeys());
  r->String(node["strategy"], path + ".strategy", &s->strategy_as_written);
  r->Int32(node["customScalingQueueLengthDeduction"],
           path + ".customScalingQueueLengthDeduction",
           &s->custom_scaling_queue_length_deduction);
  r->String(node["customScalingRunningJobPercentage"],
            path + ".customScalingRunningJobPercentage",
            &s->custom_scaling_running_job_percentage_as_written);
  if (r->Mark(node["pendingPodConditions"], path + ".pendingPodConditions")) {
    ctx->ReadStringList(node["pendingPodConditions"],
                        path + ".pendingPodConditions",
                        &s->pending_pod_conditions);
  }
  r->String(node["multipleScalersCalculation"],
            path + ".multipleScalersCalculation",
            &s->multiple_scalers_calculation_as_written);
}

void ParseTrigger(ParseContext* ctx, FieldReader* r, const YAML::Node& node,
                  const std::string& path, ScaleTrigger* t) {
  t->location = ctx->Loc(node);
  if (!ctx->ExpectMap(node, path)) return;
  ctx->CheckKeys(node, path, TriggerKeys());
  r->String(node["type"], path + ".type", &t->type);
  r->String(node["name"], path + ".name", &t->name);
  const YAML::Node metadata = node["metadata"];
  if (r->Mark(metadata, path + ".metadata") &&
      ctx->ExpectMap(metadata, path + ".metadata")) {
    // Keys are checked by each scaler against its own parameter list.
    for (const auto& kv : metadata) {
      const std::string key = kv.first.Scalar();
      std::string value;  // numbers and bools keep their text
      ctx->ReadString(kv.second, Join(path + ".metadata", key), &value);
      t->metadata[key] = value;
      t->metadata_locations[key] = ctx->Loc(kv.second);
    }
  }
  const YAML::Node auth = node["authenticationRef"];
  if (r->Mark(auth, path + ".authenticationRef") &&
      ctx->ExpectMap(auth, path + ".authenticationRef")) {
    ctx->CheckKeys(auth, path + ".authenticationRef", AuthenticationRefKeys());
    AuthenticationRef ref;
    r->String(auth["name"], path + ".authenticationRef.name", &ref.name);
    r->String(auth["kind"], path + ".authenticationRef.kind", &ref.kind);
    if (ref.kind.empty()) ref.kind = "TriggerAuthentication";
    t->authentication_ref = ref;
  }
  if (node["metricType"].IsDefined()) {
    ctx->Error(ctx->Loc(node["metricType"]),
               absl::StrCat(path,
                            ".metricType: Cannot set metricType in ScaledJob "
                            "triggers (the target is always AverageValue)"));
  }
  if (node["useCachedMetrics"].IsDefined()) {
    ctx->Warning(ctx->Loc(node["useCachedMetrics"]),
                 absl::StrCat(path,
                              ".useCachedMetrics: ignored for ScaledJob "
                              "(KEDA ignores it too)"));
  }
}

}  // namespace

void ParseScaledJob(ParseContext* ctx, const YAML::Node& doc, ScaledJob* job) {
  job->location = ctx->Loc(doc);
  ObjectMeta meta = ParseObjectMeta(ctx, doc, "ScaledJob");
  job->name = meta.name;
  if (meta.namespace_) job->namespace_ = *meta.namespace_;
  job->labels = meta.labels;
  job->annotations = meta.annotations;
  if (meta.generation) job->generation = *meta.generation;
  job->uid = meta.uid;

  FieldReader r(ctx, job);
  const YAML::Node spec = doc["spec"];
  if (!r.Mark(spec, "spec")) {
    ctx->Error(job->location, "spec: required field is missing");
    return;
  }
  if (!ctx->ExpectMap(spec, "spec")) return;
  ctx->CheckKeys(spec, "spec", ScaledJobSpecKeys());

  const YAML::Node target = spec["jobTargetRef"];
  if (!r.Mark(target, "spec.jobTargetRef")) {
    ctx->Error(ctx->KeyLoc(doc, "spec"),
               "spec.jobTargetRef: required field is missing");
  } else if (ctx->ExpectMap(target, "spec.jobTargetRef")) {
    ParseJobSpec(ctx, target, "spec.jobTargetRef", &job->job_target_ref,
                 &job->field_locations);
  }

  r.Int32(spec["pollingInterval"], "spec.pollingInterval",
          &job->polling_interval);
  r.Int32(spec["successfulJobsHistoryLimit"], "spec.successfulJobsHistoryLimit",
          &job->successful_jobs_history_limit);
  r.Int32(spec["failedJobsHistoryLimit"], "spec.failedJobsHistoryLimit",
          &job->failed_jobs_history_limit);
  r.OptInt32(spec["minReplicaCount"], "spec.minReplicaCount",
             &job->min_replica_count);
  r.OptInt32(spec["maxReplicaCount"], "spec.maxReplicaCount",
             &job->max_replica_count);
  r.String(spec["rolloutStrategy"], "spec.rolloutStrategy",
           &job->rollout_strategy);
  const YAML::Node rollout = spec["rollout"];
  if (r.Mark(rollout, "spec.rollout") &&
      ctx->ExpectMap(rollout, "spec.rollout")) {
    ctx->CheckKeys(rollout, "spec.rollout", RolloutKeys());
    r.String(rollout["strategy"], "spec.rollout.strategy",
             &job->rollout.strategy);
    r.String(rollout["propagationPolicy"], "spec.rollout.propagationPolicy",
             &job->rollout.propagation_policy);
  }
  r.String(spec["envSourceContainerName"], "spec.envSourceContainerName",
           &job->env_source_container_name);
  ParseScalingStrategy(ctx, &r, spec["scalingStrategy"],
                       &job->scaling_strategy);

  const YAML::Node triggers = spec["triggers"];
  if (r.Mark(triggers, "spec.triggers") &&
      ctx->ExpectSeq(triggers, "spec.triggers")) {
    for (size_t i = 0; i < triggers.size(); ++i) {
      ScaleTrigger trigger;
      ParseTrigger(ctx, &r, triggers[i], Index("spec.triggers", i), &trigger);
      job->triggers.push_back(std::move(trigger));
    }
  }
}

}  // namespace ebb::spec::internal
