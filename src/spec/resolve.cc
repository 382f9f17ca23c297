// SPDX-License-Identifier: Apache-2.0
#include "spec/resolve.h"

#include "absl/strings/str_cat.h"

namespace ebb::spec {

absl::StatusOr<std::map<std::string, std::string>> ResolveContainerEnv(
    const Container& container, const std::string& ns,
    const Manifests& manifests) {
  std::map<std::string, std::string> env;
  for (const EnvVar& var : container.env) {
    if (!var.secret_key_ref) {
      env[var.name] = var.value;
      continue;
    }
    const SecretKeySelector& ref = *var.secret_key_ref;
    const Secret* secret = manifests.FindSecret(ref.name, ns);
    if (secret == nullptr) {
      if (ref.optional) continue;
      return absl::NotFoundError(absl::StrCat(
          "env ", var.name, " of container \"", container.name, "\": Secret \"",
          ref.name, "\" not found in namespace \"", ns, "\""));
    }
    auto it = secret->data.find(ref.key);
    if (it == secret->data.end()) {
      if (ref.optional) continue;
      return absl::NotFoundError(absl::StrCat(
          "env ", var.name, " of container \"", container.name, "\": Secret \"",
          ref.name, "\" has no key \"", ref.key, "\""));
    }
    env[var.name] = it->second;
  }
  return env;
}

absl::StatusOr<const Container*> EnvSourceContainer(const ScaledJob& job,
                                                    const std::string& name) {
  const std::vector<Container>& containers =
      job.job_target_ref.template_.containers;
  const std::string& wanted =
      name.empty() ? job.env_source_container_name : name;
  if (wanted.empty()) {
    if (containers.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "ScaledJob \"", job.name, "\" has no container in its job template"));
    }
    return &containers.front();
  }
  for (const Container& c : containers) {
    if (c.name == wanted) return &c;
  }
  return absl::NotFoundError(absl::StrCat(
      "container \"", wanted, "\" not found in ScaledJob \"", job.name, "\""));
}

absl::StatusOr<std::map<std::string, std::string>> ResolveAuthParams(
    const ScaledJob& job, const ScaleTrigger& trigger,
    const Manifests& manifests) {
  std::map<std::string, std::string> params;
  if (!trigger.authentication_ref) return params;
  const AuthenticationRef& ref = *trigger.authentication_ref;
  const TriggerAuthentication* ta =
      manifests.FindAuthentication(ref, job.namespace_);
  if (ta == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        ref.kind, " \"", ref.name, "\" not found",
        ref.kind == "ClusterTriggerAuthentication"
            ? ""
            : absl::StrCat(" in namespace \"", job.namespace_, "\"")));
  }
  // 1. env: KEDA resolves to "" when the container, variable or its Secret is
  // missing.
  for (const AuthEnvRef& env_ref : ta->env) {
    std::string value;
    absl::StatusOr<const Container*> c =
        EnvSourceContainer(job, env_ref.container_name);
    if (c.ok()) {
      absl::StatusOr<std::map<std::string, std::string>> env =
          ResolveContainerEnv(**c, job.namespace_, manifests);
      if (env.ok()) {
        auto it = env->find(env_ref.name);
        if (it != env->end()) value = it->second;
      }
    }
    params[env_ref.parameter] = value;
  }
  // 2. secretTargetRef, in the TriggerAuthentication's namespace.
  for (const SecretTargetRef& st : ta->secret_target_ref) {
    const Secret* secret = manifests.FindSecret(st.name, ta->namespace_);
    if (secret == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(ta->kind, " \"", ta->name, "\": Secret \"", st.name,
                       "\" not found in namespace \"", ta->namespace_, "\""));
    }
    auto it = secret->data.find(st.key);
    if (it == secret->data.end()) {
      return absl::NotFoundError(
          absl::StrCat(ta->kind, " \"", ta->name, "\": Secret \"", st.name,
                       "\" has no key \"", st.key, "\""));
    }
    params[st.parameter] = it->second;
  }
  return params;
}

}  // namespace ebb::spec
