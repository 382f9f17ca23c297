// SPDX-License-Identifier: Apache-2.0
//
// File: cli/up_cluster.h
//
// `ebb up --kubernetes`: the Jobs run as batch/v1 Jobs on a cluster, created
// as KEDA's operator creates them (executors/kubernetes/).
//   * The API server and credentials: --kubeconfig FILE, else $KUBECONFIG,
//     else the in-cluster service account when running in a pod, else
//     ~/.kube/config; --context NAME picks a kubeconfig context
//     (client/kube_config.h). ebb logs the server, where its configuration
//     came from and the namespaces; never a token.
//   * With -f: the ScaledJobs come from the files (their Jobs go to each
//     ScaledJob's metadata.namespace; the cluster needs no KEDA CRDs).
//     Without: from the cluster's keda.sh ScaledJobs in each --namespace
//     (default: the context's or the pod's namespace), with their status
//     conditions and Events written as KEDA writes them (cluster_binding.h).
//   * Pods cannot reach ebb's embedded queue, so every ScaledJob must use an
//     external broker (a rabbitmq trigger): otherwise `ebb up` fails (-f) or
//     the ScaledJob is left out and reported (ScaledJobCheckFailed).
//   * Nothing is injected into the Jobs beyond what jobTargetRef says (KEDA
//     injects nothing): no EBB_* env, no queue URL, no token.
//   * The API, web UI and `ebb status` / `jobs` / `logs` read the Jobs of the
//     watched namespaces only (cluster/namespaced_executor.h), so a Role per
//     namespace suffices.
//
// Kubernetes API calls cluster mode makes (for RBAC), per watched namespace:
//   batch/jobs               list, watch, create, delete
//   core/pods                list, watch;  core/pods/log  get
//   without -f, in addition:
//   keda.sh/scaledjobs       list, watch;  keda.sh/scaledjobs/status  patch
//   keda.sh/triggerauthentications  list, watch
//   core/secrets             list, watch
//   core/events              create, patch
//   with --cluster-object-namespace NS: keda.sh/clustertriggerauthentications
//   list, watch (cluster-wide) and core/secrets list, watch in NS.
//   with leader election (the default), in the Lease's namespace:
//   coordination.k8s.io/leases  get, create, update
#ifndef EBB_CLI_UP_CLUSTER_H_
#define EBB_CLI_UP_CLUSTER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/cluster_binding.h"
#include "cli/commands.h"
#include "controller/controller.h"
#include "executors/kubernetes/cluster/namespaced_executor.h"
#include "executors/kubernetes/kubernetes_executor.h"
#include "executors/kubernetes/leader/leader_elector.h"
#include "scalers/scaler.h"
#include "spec/manifests.h"

namespace ebb::cli {

struct ClusterUp {
  executors::kubernetes::KubeConfig config;
  // Watched namespaces (without -f); with -f, those of the ScaledJobs.
  std::vector<std::string> namespaces;
  std::unique_ptr<executors::kubernetes::KubernetesExecutor> kube;
  // What the controller, the API and the UI use.
  std::unique_ptr<executors::kubernetes::cluster::NamespacedExecutor> executor;
  // Without -f: the cluster's ScaledJobs, their status and Events.
  std::unique_ptr<ClusterBinding> binding;
  // The manifests to start with (files, or the cluster's first read).
  std::shared_ptr<const spec::Manifests> manifests;
  // Set once the controller exists: with -f, the namespaces follow its
  // manifests (SIGHUP reloads).
  std::atomic<controller::Controller*> controller{nullptr};
};

// Loads the Kubernetes configuration, the manifests (files, or the cluster's
// ScaledJobs: waits up to 30 s for the first read, then goes on with what
// there is) and builds the executor. Logs what it uses. Errors name what to
// fix (configuration, a ScaledJob without an external broker, manifest
// errors: already logged).
absl::StatusOr<std::unique_ptr<ClusterUp>> SetUpCluster(
    const UpOptions& o, const scalers::ScalerRegistry& registry);

// Leader election for `ebb up --kubernetes` (UpOptions::leader_elect): only
// the holder of the Lease --lease-namespace/--lease-name runs `start` (the
// scale loops and the status writer) until it loses the Lease, when `stop`
// runs; both on the elector's thread. Also gates the executor's Create on
// IsLeader(), so a poll that was running when leadership ended creates
// nothing. `*client` receives the Lease's client (keep it alive with the
// elector). InvalidArgument for bad timings (names them).
// Kubernetes API calls: coordination.k8s.io/leases get, create, update in
// the Lease's namespace.
absl::StatusOr<std::unique_ptr<executors::kubernetes::LeaderElector>>
StartLeaderElection(const UpOptions& o, ClusterUp& cluster,
                    std::function<void()> start, std::function<void()> stop,
                    std::unique_ptr<executors::kubernetes::KubeClient>* client);

// What a ScaledJob read from the cluster must pass besides spec validation:
// the scalers' trigger validation (as `ebb up -f`) and CheckExternalBroker.
// `registry` must outlive the check.
executors::kubernetes::cluster::ScaledJobCheck ClusterModeCheck(
    const scalers::ScalerRegistry& registry);

// OK when `job` uses an external broker its pods can reach (a rabbitmq
// trigger, no ebb-queue trigger); else FailedPrecondition naming the
// ScaledJob and saying why.
absl::Status CheckExternalBroker(const spec::ScaledJob& job);

}  // namespace ebb::cli

#endif  // EBB_CLI_UP_CLUSTER_H_
