// SPDX-License-Identifier: Apache-2.0
//
// jobTargetRef (batch/v1 JobSpec) parsing: the Job, Pod and Container fields
// ebb's executors read. Legitimate Kubernetes fields ebb does not read are
// tolerated (kept in raw_yaml); only unknown ones are warned about.
#include <string>

#include "absl/strings/str_cat.h"
#include "spec/known_keys.h"
#include "spec/parse_util.h"
#include "spec/parsers.h"
#include "spec/yaml_json.h"

namespace ebb::spec::internal {
namespace {

void Record(ParseContext* ctx, FieldLocations* locs, const YAML::Node& node,
            const std::string& path) {
  if (node.IsDefined()) (*locs)[path] = ctx->Loc(node);
}

void ParseEnvVar(ParseContext* ctx, const YAML::Node& node,
                 const std::string& path, EnvVar* env) {
  env->location = ctx->Loc(node);
  if (!ctx->ExpectMap(node, path)) return;
  ctx->CheckKeys(node, path, EnvVarKeys());
  ctx->ReadString(node["name"], path + ".name", &env->name);
  if (env->name.empty()) {
    ctx->Error(env->location, path + ".name: required field is missing");
  }
  ctx->ReadString(node["value"], path + ".value", &env->value);
  const YAML::Node from = node["valueFrom"];
  if (!Present(from) || !ctx->ExpectMap(from, path + ".valueFrom")) return;
  ctx->CheckKeys(from, path + ".valueFrom", EnvVarSourceKeys());
  const YAML::Node ref = from["secretKeyRef"];
  const std::string ref_path = path + ".valueFrom.secretKeyRef";
  if (!Present(ref) || !ctx->ExpectMap(ref, ref_path)) return;
  ctx->CheckKeys(ref, ref_path, SecretKeySelectorKeys());
  SecretKeySelector selector;
  ctx->ReadString(ref["name"], ref_path + ".name", &selector.name);
  ctx->ReadString(ref["key"], ref_path + ".key", &selector.key);
  ctx->ReadBool(ref["optional"], ref_path + ".optional", &selector.optional);
  if (selector.name.empty() || selector.key.empty()) {
    ctx->Error(ctx->Loc(ref), ref_path + ": name and key are required");
  }
  env->secret_key_ref = selector;
}

void ParseProbe(ParseContext* ctx, const YAML::Node& node,
                const std::string& path, std::optional<ExecProbe>* out) {
  if (!Present(node) || !ctx->ExpectMap(node, path)) return;
  ctx->CheckKeys(node, path, ProbeKeys());
  const YAML::Node exec = node["exec"];
  if (!Present(exec) || !ctx->ExpectMap(exec, path + ".exec")) {
    ctx->Warning(ctx->Loc(node),
                 path +
                     ": only exec probes are run by the local executor; "
                     "this probe is ignored there");
    return;
  }
  ctx->CheckKeys(exec, path + ".exec", ExecActionKeys());
  ExecProbe probe;
  ctx->ReadStringList(exec["command"], path + ".exec.command", &probe.command);
  ctx->ReadInt32(node["initialDelaySeconds"], path + ".initialDelaySeconds",
                 &probe.initial_delay_seconds);
  ctx->ReadInt32(node["periodSeconds"], path + ".periodSeconds",
                 &probe.period_seconds);
  ctx->ReadInt32(node["timeoutSeconds"], path + ".timeoutSeconds",
                 &probe.timeout_seconds);
  ctx->ReadInt32(node["successThreshold"], path + ".successThreshold",
                 &probe.success_threshold);
  ctx->ReadInt32(node["failureThreshold"], path + ".failureThreshold",
                 &probe.failure_threshold);
  *out = probe;
}

void ParseContainer(ParseContext* ctx, const YAML::Node& node,
                    const std::string& path, Container* c,
                    FieldLocations* locs) {
  c->location = ctx->Loc(node);
  if (!ctx->ExpectMap(node, path)) return;
  ctx->CheckKeys(node, path, ContainerKeys(), ContainerTolerated());
  Record(ctx, locs, node["name"], path + ".name");
  ctx->ReadString(node["name"], path + ".name", &c->name);
  ctx->ReadString(node["image"], path + ".image", &c->image);
  ctx->ReadStringList(node["command"], path + ".command", &c->command);
  ctx->ReadStringList(node["args"], path + ".args", &c->args);
  for (const char* key : {"command", "args"}) {
    const YAML::Node list = node[key];
    Record(ctx, locs, list, Join(path, key));
    if (!list.IsDefined() || !list.IsSequence()) continue;
    for (size_t i = 0; i < list.size(); ++i) {
      Record(ctx, locs, list[i], Index(Join(path, key), i));
    }
  }
  ctx->ReadString(node["workingDir"], path + ".workingDir", &c->working_dir);
  const YAML::Node env = node["env"];
  if (Present(env) && ctx->ExpectSeq(env, path + ".env")) {
    for (size_t i = 0; i < env.size(); ++i) {
      EnvVar var;
      ParseEnvVar(ctx, env[i], Index(path + ".env", i), &var);
      c->env.push_back(std::move(var));
    }
  }
  const YAML::Node mounts = node["volumeMounts"];
  if (Present(mounts) && ctx->ExpectSeq(mounts, path + ".volumeMounts")) {
    for (size_t i = 0; i < mounts.size(); ++i) {
      const std::string mpath = Index(path + ".volumeMounts", i);
      if (!ctx->ExpectMap(mounts[i], mpath)) continue;
      ctx->CheckKeys(mounts[i], mpath, VolumeMountKeys(),
                     VolumeMountTolerated());
      VolumeMount m;
      Record(ctx, locs, mounts[i], mpath);
      Record(ctx, locs, mounts[i]["name"], mpath + ".name");
      ctx->ReadString(mounts[i]["name"], mpath + ".name", &m.name);
      ctx->ReadString(mounts[i]["mountPath"], mpath + ".mountPath",
                      &m.mount_path);
      ctx->ReadBool(mounts[i]["readOnly"], mpath + ".readOnly", &m.read_only);
      if (m.name.empty() || m.mount_path.empty()) {
        ctx->Error(ctx->Loc(mounts[i]),
                   mpath + ": name and mountPath are required");
      }
      c->volume_mounts.push_back(std::move(m));
    }
  }
  ParseProbe(ctx, node["readinessProbe"], path + ".readinessProbe",
             &c->readiness_probe);
  const YAML::Node resources = node["resources"];
  if (Present(resources) && resources.IsMap()) {
    const YAML::Node limits = resources["limits"];
    if (Present(limits) && limits.IsMap()) {
      const YAML::Node cpu = limits["cpu"];
      if (Present(cpu) && cpu.IsScalar()) c->cpu_limit = cpu.Scalar();
    }
  }
}

void ParseVolume(ParseContext* ctx, const YAML::Node& node,
                 const std::string& path, Volume* v) {
  v->location = ctx->Loc(node);
  if (!ctx->ExpectMap(node, path)) return;
  KeyList known = {"name"};
  known.insert(known.end(), VolumeSourceKeys().begin(),
               VolumeSourceKeys().end());
  ctx->CheckKeys(node, path, known);
  ctx->ReadString(node["name"], path + ".name", &v->name);
  if (v->name.empty()) {
    ctx->Error(v->location, path + ".name: required field is missing");
  }
  for (const std::string& kind : VolumeSourceKeys()) {
    if (!node[kind].IsDefined()) continue;
    v->source_kind = kind;
    break;
  }
  if (v->source_kind == "emptyDir") {
    v->empty_dir = true;
    const YAML::Node dir = node["emptyDir"];
    if (Present(dir) && ctx->ExpectMap(dir, path + ".emptyDir")) {
      ctx->CheckKeys(dir, path + ".emptyDir", EmptyDirKeys());
    }
  }
}

void ParsePodTemplate(ParseContext* ctx, const YAML::Node& node,
                      const std::string& path, PodTemplate* pod,
                      FieldLocations* locs) {
  ctx->CheckKeys(node, path, PodTemplateKeys());
  const YAML::Node meta = node["metadata"];
  if (Present(meta) && ctx->ExpectMap(meta, path + ".metadata")) {
    ctx->CheckKeys(meta, path + ".metadata", ObjectMetaKeys());
    ctx->ReadStringMap(meta["labels"], path + ".metadata.labels", &pod->labels);
    ctx->ReadStringMap(meta["annotations"], path + ".metadata.annotations",
                       &pod->annotations);
  }
  const YAML::Node spec = node["spec"];
  const std::string spath = path + ".spec";
  if (!Present(spec)) {
    ctx->Error(ctx->Loc(node), spath + ": required field is missing");
    return;
  }
  if (!ctx->ExpectMap(spec, spath)) return;
  Record(ctx, locs, spec, spath);
  ctx->CheckKeys(spec, spath, PodSpecKeys(), PodSpecTolerated());
  const YAML::Node containers = spec["containers"];
  Record(ctx, locs, containers, spath + ".containers");
  if (!Present(containers) || (containers.IsSequence() && !containers.size())) {
    ctx->Error(ctx->Loc(containers.IsDefined() ? containers : spec),
               spath + ".containers: at least one container is required");
  } else if (ctx->ExpectSeq(containers, spath + ".containers")) {
    for (size_t i = 0; i < containers.size(); ++i) {
      Container c;
      ParseContainer(ctx, containers[i], Index(spath + ".containers", i), &c,
                     locs);
      pod->containers.push_back(std::move(c));
    }
  }
  const YAML::Node volumes = spec["volumes"];
  if (Present(volumes) && ctx->ExpectSeq(volumes, spath + ".volumes")) {
    for (size_t i = 0; i < volumes.size(); ++i) {
      Volume v;
      ParseVolume(ctx, volumes[i], Index(spath + ".volumes", i), &v);
      pod->volumes.push_back(std::move(v));
    }
  }
  Record(ctx, locs, spec["restartPolicy"], spath + ".restartPolicy");
  if (spec["restartPolicy"].IsDefined()) {
    pod->restart_policy.clear();  // empty as written -> normalized later
    ctx->ReadString(spec["restartPolicy"], spath + ".restartPolicy",
                    &pod->restart_policy);
  }
  Record(ctx, locs, spec["terminationGracePeriodSeconds"],
         spath + ".terminationGracePeriodSeconds");
  ctx->ReadInt64(spec["terminationGracePeriodSeconds"],
                 spath + ".terminationGracePeriodSeconds",
                 &pod->termination_grace_period_seconds);
}

}  // namespace

void ParseJobSpec(ParseContext* ctx, const YAML::Node& node,
                  const std::string& path, JobSpec* spec,
                  FieldLocations* locs) {
  spec->raw_yaml = YAML::Dump(node);
  spec->raw_json = YamlNodeToJson(node);
  ctx->CheckKeys(node, path, JobSpecKeys(), JobSpecTolerated());
  const YAML::Node tmpl = node["template"];
  Record(ctx, locs, tmpl, path + ".template");
  if (!Present(tmpl)) {
    ctx->Error(ctx->Loc(node), path + ".template: required field is missing");
  } else if (ctx->ExpectMap(tmpl, path + ".template")) {
    ParsePodTemplate(ctx, tmpl, path + ".template", &spec->template_, locs);
  }
  for (const char* key : {"backoffLimit", "parallelism", "completions"}) {
    Record(ctx, locs, node[key], Join(path, key));
  }
  ctx->ReadInt32(node["backoffLimit"], path + ".backoffLimit",
                 &spec->backoff_limit);
  ctx->ReadOptInt64(node["activeDeadlineSeconds"],
                    path + ".activeDeadlineSeconds",
                    &spec->active_deadline_seconds);
  ctx->ReadInt32(node["parallelism"], path + ".parallelism",
                 &spec->parallelism);
  ctx->ReadInt32(node["completions"], path + ".completions",
                 &spec->completions);
  ctx->ReadOptInt32(node["ttlSecondsAfterFinished"],
                    path + ".ttlSecondsAfterFinished",
                    &spec->ttl_seconds_after_finished);
}

}  // namespace ebb::spec::internal
