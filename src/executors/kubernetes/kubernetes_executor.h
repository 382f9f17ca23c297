// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/kubernetes_executor.h
//
// KubernetesExecutor runs each Job as a batch/v1 Job on a cluster, created
// exactly as KEDA's operator creates them (job_manifest.h), and reports
// state with ebb's pending rule (job_status.h).
//
// Jobs and pods are followed with list + watch (informer.h), one pair of
// informers per namespace, started by the first call that names it (List
// waits up to `sync_timeout` for the first list). Jobs are selected by the
// label scaledjob.keda.sh/name (any value), pods by the same label (KEDA puts
// it on the pod template). List reads only the caches: no API call per tick
// at steady state. A Job this executor created is in the cache when Create
// returns (read-your-writes), so the next tick counts it even before its
// watch event arrives.
//
// Fail closed: List returns the error (the controller then creates nothing)
// until Jobs and pods have been listed, while a relist after 410 fails, or
// when the watch has been down longer than `max_staleness`. A missing RBAC
// permission is PermissionDenied naming the verb, resource and namespace and
// the Role rule to add; it is logged once and retried with a backoff of at
// least 5 s, never in a tight loop.
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_KUBERNETES_KUBERNETES_EXECUTOR_H_
#define EBB_EXECUTORS_KUBERNETES_KUBERNETES_EXECUTOR_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "executors/executor.h"
#include "executors/kubernetes/client/api_error.h"  // WithRbacHint
#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/informer.h"
#include "executors/kubernetes/job_manifest.h"

namespace ebb::executors::kubernetes {

struct KubernetesExecutorOptions {
  KubeConfig config;
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration sync_timeout = absl::Seconds(10);
  absl::Duration watch_timeout = absl::Minutes(5);
  absl::Duration max_staleness = absl::Seconds(60);
  JobManifestOptions manifest;
};

class KubernetesExecutor : public Executor {
 public:
  explicit KubernetesExecutor(KubernetesExecutorOptions options);
  ~KubernetesExecutor() override;

  // See executor.h. Create: POSTs the Job (generateName); errors as
  // api_error.h says (InvalidArgument with the API server's field causes,
  // PermissionDenied with the RBAC rule to add, ResourceExhausted on 429...).
  absl::StatusOr<Job> Create(const JobRequest& request) override;
  absl::StatusOr<std::vector<Job>> List(const std::string& ns,
                                        const std::string& scaled_job) override;
  // DELETE with propagationPolicy Foreground or Background. A foreground
  // delete leaves the Job listed, `deleting`, until its pods are gone.
  absl::Status Delete(const std::string& ns, const std::string& name,
                      bool foreground) override;
  // The pod log endpoint of the Job's newest pod. NotFound when the Job has
  // no pod (yet).
  absl::StatusOr<std::string> Logs(const std::string& ns,
                                   const std::string& name,
                                   const std::string& container,
                                   int64_t max_bytes) override;

  // The pendingPodConditions of a ScaledJob (Create also records them from
  // its request). Call at start-up for each ScaledJob so that Jobs listed
  // before any Create are judged by them.
  void SetPendingPodConditions(const std::string& ns,
                               const std::string& scaled_job,
                               std::vector<std::string> conditions);

  // API calls made by the informers so far, summed over namespaces.
  InformerStats stats() const;
  KubeClient& client() { return client_; }

 private:
  struct Watched {
    std::unique_ptr<Informer> jobs;
    std::unique_ptr<Informer> pods;
  };
  // The informers of `ns` ("" = all namespaces), started on first use.
  Watched& Watch(const std::string& ns);
  absl::Status Synced(Watched& w);
  std::vector<std::string> ConditionsOf(const std::string& ns,
                                        const std::string& scaled_job) const;

  const KubernetesExecutorOptions options_;
  KubeClient client_;
  mutable std::mutex mu_;
  std::map<std::string, Watched> watched_;
  std::map<std::string, std::vector<std::string>> conditions_;  // "ns/sj"
};

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_KUBERNETES_EXECUTOR_H_
