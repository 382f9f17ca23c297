// SPDX-License-Identifier: Apache-2.0
//
// LocalExecutor::BuildJobFile: a JobRequest resolved into what the supervisor
// runs (image map, argv, env, mounts, readiness).
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/log.h"
#include "executors/local/local_executor.h"

namespace ebb::executors::local {
namespace {

void SetEnv(std::vector<std::pair<std::string, std::string>>* env,
            const std::string& k, const std::string& v) {
  for (auto& e : *env)
    if (e.first == k) {
      e.second = v;
      return;
    }
  env->emplace_back(k, v);
}

}  // namespace

absl::StatusOr<JobFile> LocalExecutor::BuildJobFile(
    const JobRequest& request, const std::string& name,
    const std::string& dir) const {
  const spec::JobSpec& js = request.spec;
  const spec::PodTemplate& pod = js.template_;
  if (pod.containers.empty())
    return absl::InvalidArgumentError(
        absl::StrCat("ScaledJob ", request.namespace_, "/", request.scaled_job,
                     ": jobTargetRef.template.spec.containers is empty"));
  std::map<std::string, const spec::Volume*> volumes;
  for (const spec::Volume& v : pod.volumes) volumes[v.name] = &v;

  JobFile jf;
  jf.name = name;
  jf.namespace_ = request.namespace_;
  jf.scaled_job = request.scaled_job;
  jf.labels = request.labels;
  jf.annotations = request.annotations;
  jf.created = options_.clock->Now();
  jf.restart_policy = pod.restart_policy == "Never" ? "Never" : "OnFailure";
  jf.backoff_limit = js.backoff_limit;
  jf.active_deadline_seconds = js.active_deadline_seconds;
  jf.termination_grace_period_seconds = pod.termination_grace_period_seconds;

  auto expand = [this](const std::string& s) {
    return absl::StrReplaceAll(s, {{"{ebb}", options_.ebb_binary}});
  };
  for (const spec::Container& c : pod.containers) {
    ContainerSpec cs;
    cs.name = c.name;
    cs.image = c.image;
    const ImageMapping* m =
        c.image.empty() ? nullptr : options_.image_map.Find(c.image);
    if (m != nullptr && m->skip) {
      cs.skip = true;
      jf.containers.push_back(std::move(cs));
      continue;
    }
    if (m != nullptr && !m->command.empty()) {
      for (const std::string& a : m->command) cs.argv.push_back(expand(a));
      for (const std::string& a : c.args) cs.argv.push_back(a);
    } else if (!c.command.empty()) {
      for (const std::string& a : c.command) cs.argv.push_back(expand(a));
      for (const std::string& a : c.args) cs.argv.push_back(a);
    } else {
      std::string file = options_.image_map.source().empty()
                             ? "an image map file (none is configured)"
                             : options_.image_map.source();
      return absl::FailedPreconditionError(absl::StrCat(
          "container \"", c.name, "\" of ScaledJob ", request.namespace_, "/",
          request.scaled_job, ": image \"", c.image,
          "\" has no local command; add `- image: ",
          ImageMap::Repository(c.image),
          "` with `command: [...]` (or `skip: true`) to ", file));
    }
    auto env_it = request.env.find(c.name);
    if (env_it != request.env.end()) cs.env = env_it->second;
    // The container's CPU limit sizes the worker's compute threads.
    if (!c.cpu_limit.empty()) SetEnv(&cs.env, "EBB_CPU_LIMIT", c.cpu_limit);
    if (m != nullptr)
      for (const auto& [k, v] : m->env) SetEnv(&cs.env, k, v);
    for (const auto& [k, v] : request.extra_env) SetEnv(&cs.env, k, v);
    SetEnv(&cs.env, "HOSTNAME", name);
    SetEnv(&cs.env, "EBB_JOB_NAME", name);
    SetEnv(&cs.env, "EBB_JOB_NAMESPACE", request.namespace_);
    SetEnv(&cs.env, "EBB_CONTAINER_NAME", c.name);
    SetEnv(&cs.env, "EBB_TERMINATION_MESSAGE_PATH",
           TerminationMessagePath(dir, c.name));
    cs.cwd = (m != nullptr && !m->working_dir.empty()) ? m->working_dir
                                                       : c.working_dir;
    for (const spec::VolumeMount& vm : c.volume_mounts) {
      auto v = volumes.find(vm.name);
      if (v == volumes.end())
        return absl::InvalidArgumentError(
            absl::StrCat("container \"", c.name, "\" mounts volume \"", vm.name,
                         "\", which the pod template does not define"));
      if (!v->second->empty_dir)
        EBB_LOG_WARN(
            "ScaledJob {}/{}: volume {} is not an emptyDir; the local "
            "executor gives it an empty per-job directory",
            request.namespace_, request.scaled_job, vm.name);
      cs.mounts.push_back(MountSpec{vm.name, vm.mount_path,
                                    absl::StrCat(dir, "/volumes/", vm.name),
                                    vm.read_only});
    }
    std::string readiness = m != nullptr ? m->readiness : "";
    if (readiness == "notify") {
      cs.readiness = Readiness::kNotify;
    } else if (readiness.empty() && c.readiness_probe &&
               !c.readiness_probe->command.empty()) {
      cs.readiness = Readiness::kProbe;
      const spec::ExecProbe& p = *c.readiness_probe;
      cs.probe = ProbeSpec{p.command,           p.initial_delay_seconds,
                           p.period_seconds,    p.timeout_seconds,
                           p.success_threshold, p.failure_threshold};
    }
    jf.containers.push_back(std::move(cs));
  }
  return jf;
}

}  // namespace ebb::executors::local
