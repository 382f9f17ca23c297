// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/object_manifests.h
//
// KEDA objects read from an API server -> spec::Manifests, one ScaledJob at a
// time, so that a bad ScaledJob is left out while the others keep running.
//
// Each object is stripped of what the API server populates and ebb does not
// read (StripServerFields), serialised as indented JSON (JSON is YAML) and
// parsed with spec::ParseManifests under the file name
// "cluster:NS/KIND/NAME", so every diagnostic names the object and a line of
// `kubectl get -o json`. A ScaledJob is then normalised and validated
// together with what it references, as KEDA resolves it (reference §1.3):
//   * the TriggerAuthentications its triggers name, from its own namespace,
//     and ClusterTriggerAuthentications (cluster-scoped);
//   * the Secrets those name (secretTargetRef) and its containers' env names
//     (secretKeyRef): from its own namespace, or for a
//     ClusterTriggerAuthentication from `cluster_object_namespace` (KEDA's
//     KEDA_CLUSTER_OBJECT_NAMESPACE, where KEDA itself runs).
// Secrets nobody references are never parsed (a namespace holds many).
//
// Namespaces: spec::Manifests and ebb's controller key ScaledJobs by name, so
// ScaledJob names must be unique across the namespaces ebb watches. When two
// namespaces hold the same name, the older ScaledJob (creationTimestamp, then
// namespace) runs and the other is reported as a problem naming both.
//
// Pure functions over JSON; thread-compatible. Messages never contain Secret
// values (spec's diagnostics are scrubbed).
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_OBJECT_MANIFESTS_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_OBJECT_MANIFESTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "spec/manifests.h"

namespace ebb::executors::kubernetes::cluster {

// "cluster:NS/ScaledJob/NAME"; "cluster:ClusterTriggerAuthentication/NAME"
// for a cluster-scoped object (`ns` "").
std::string ObjectFileName(const std::string& kind, const std::string& ns,
                           const std::string& name);

// `object` without status and without the server-populated metadata ebb does
// not read (resourceVersion, creationTimestamp, managedFields, selfLink,
// finalizers, ownerReferences, deletion fields...): metadata keeps name,
// namespace, labels, annotations, generation and uid.
nlohmann::json StripServerFields(const nlohmann::json& object);

// What the informers hold, as the API server sent it.
struct ClusterObjects {
  std::vector<nlohmann::json> scaled_jobs;
  std::vector<nlohmann::json> trigger_authentications;
  std::vector<nlohmann::json> cluster_trigger_authentications;
  std::vector<nlohmann::json> secrets;
};

// A ScaledJob as the API server knows it (valid or not).
struct ScaledJobIdentity {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  // `autoscaling.keda.sh/paused` set and not a bool false (spec's rule).
  bool paused = false;
  // status.conditions as stored (null when none): what KEDA or an earlier ebb
  // wrote, so a restart does not rewrite them.
  nlohmann::json conditions;
  std::string Key() const { return namespace_ + "/" + name; }
};

struct ScaledJobProblem {
  ScaledJobIdentity identity;
  // Every error diagnostic, one per line ("cluster:ns/ScaledJob/x:12:9:
  // error: ..."), or the name clash.
  std::string message;
};

struct ClusterManifests {
  // The ScaledJobs that passed every check, with the TriggerAuthentications
  // and Secrets they reference.
  spec::Manifests manifests;
  // Every ScaledJob listed, in (namespace, name) order.
  std::vector<ScaledJobIdentity> scaled_jobs;
  // The ScaledJobs left out, and why.
  std::vector<ScaledJobProblem> problems;
  // ScaledJob name -> a hash of everything its loop is built from (its spec,
  // labels, annotations, generation, uid, the objects it references): equal
  // hashes mean its loop need not restart. Status writes do not change it.
  std::map<std::string, uint64_t> fingerprints;
  // Warnings of the ScaledJobs that passed, by ScaledJob name.
  std::map<std::string, std::vector<spec::Diagnostic>> warnings;
};

// Further checks of one ScaledJob's LoadResult (the ScaledJob and what it
// references, already validated): trigger validation against the scaler
// registry, cluster-mode rules. Appends diagnostics; an error leaves the
// ScaledJob out.
using ScaledJobCheck = std::function<void(spec::LoadResult*)>;

// See the file comment. `check` may be empty.
ClusterManifests BuildClusterManifests(
    const ClusterObjects& objects, const ScaledJobCheck& check,
    const std::string& cluster_object_namespace);

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_OBJECT_MANIFESTS_H_
