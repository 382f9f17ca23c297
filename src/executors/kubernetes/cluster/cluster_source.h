// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/cluster_source.h
//
// The ScaledJobs of a cluster as manifests: list + watch (informer.h) of, per
// watched namespace,
//   /apis/keda.sh/v1alpha1/namespaces/NS/scaledjobs
//   /apis/keda.sh/v1alpha1/namespaces/NS/triggerauthentications
//   /api/v1/namespaces/NS/secrets
// and, when `cluster_object_namespace` is set, the cluster-scoped
// /apis/keda.sh/v1alpha1/clustertriggerauthentications with the Secrets of
// that namespace. Once every informer has listed, and then after every change
// (changes within `debounce` are coalesced into one rebuild), the cached
// objects are turned into ClusterManifests (object_manifests.h: one ScaledJob
// at a time; a bad one is left out and reported) and handed to the listener.
//
// Namespaces: see object_manifests.h (ScaledJob names are unique across the
// watched namespaces; a ScaledJob's TriggerAuthentications and Secrets come
// from its own namespace, as KEDA's).
//
// A status write changes a ScaledJob's resourceVersion but not its
// fingerprint: such updates carry manifests_changed false and an empty
// `restart`, so the listener need not reload anything.
//
// Failure: an informer that cannot list or watch logs and backs off
// (informer.h); the last manifests stay in force. Before the first full list
// nothing is delivered (a ScaledJob listed before its TriggerAuthentication
// must not be reported as broken).
//
// Threading: the listener runs on the source's own thread, one call at a
// time; every method may be called from any thread.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_SOURCE_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_SOURCE_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/cluster/object_manifests.h"
#include "executors/kubernetes/informer.h"

namespace ebb::executors::kubernetes::cluster {

struct ClusterSourceOptions {
  std::vector<std::string> namespaces;  // at least one
  // KEDA's KEDA_CLUSTER_OBJECT_NAMESPACE: where ClusterTriggerAuthentications
  // read Secrets. "" = ClusterTriggerAuthentications are not watched (that
  // takes a cluster-wide list/watch permission).
  std::string cluster_object_namespace;
  absl::Duration debounce = absl::Milliseconds(100);
  absl::Duration watch_timeout = absl::Minutes(5);
  absl::Duration max_staleness = absl::Seconds(60);
  ScaledJobCheck check;  // may be empty
};

struct ClusterUpdate {
  std::shared_ptr<const ClusterManifests> state;
  // state->manifests differ from the previous update's (a ScaledJob added,
  // removed or changed); always true for the first update.
  bool manifests_changed = false;
  // Names of the runnable ScaledJobs that are new or whose fingerprint
  // changed: their loops must (re)start.
  std::set<std::string> restart;
};

class ClusterManifestSource {
 public:
  using Listener = std::function<void(const ClusterUpdate&)>;

  // `client` must outlive the source.
  ClusterManifestSource(KubeClient* client, ClusterSourceOptions options);
  ~ClusterManifestSource();  // Stop()s
  ClusterManifestSource(const ClusterManifestSource&) = delete;
  ClusterManifestSource& operator=(const ClusterManifestSource&) = delete;

  // Starts the informers and the rebuild thread; `listener` gets every update.
  void Start(Listener listener);
  // Stops the thread and the informers (within about a second).
  void Stop();
  // Waits until the first update was delivered, or `timeout`.
  // DeadlineExceeded naming what has not listed yet (and its last error).
  absl::Status WaitFirstUpdate(absl::Duration timeout);
  // The last update's state; null before the first.
  std::shared_ptr<const ClusterManifests> current() const;
  // Rebuilds done so far (tests).
  int64_t rebuilds() const;

 private:
  struct Watched {
    std::string what;  // "scaledjobs.keda.sh in namespace \"ns\""
    std::unique_ptr<Informer> informer;
  };
  void AddInformer(std::vector<Watched>* list, const std::string& path,
                   const std::string& resource, const std::string& ns);
  void Run();
  void Rebuild();

  KubeClient* const client_;
  const ClusterSourceOptions options_;
  Listener listener_;

  // Set by Start, read by the rebuild thread; not changed while it runs.
  std::vector<Watched> scaled_jobs_, trigger_auths_, cluster_auths_, secrets_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;
  bool stop_ = true;
  bool delivered_ = false;  // the listener had the first update
  std::shared_ptr<const ClusterManifests> current_;
  int64_t rebuilds_ = 0;
  std::thread thread_;
};

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_SOURCE_H_
