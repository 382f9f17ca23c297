// SPDX-License-Identifier: Apache-2.0
//
// File: cli/cluster_binding.h
//
// Cluster mode's glue (`ebb up --kubernetes` without -f): the ScaledJobs a
// ClusterManifestSource reads from the API server drive the Controller, and
// every poll is reported to a ScaledJobStatusWriter
// (executors/kubernetes/cluster/).
//   * Each source update Reloads the controller when a runnable ScaledJob was
//     added, removed or changed, restarting only the loops of changed ones
//     (KEDA restarts a ScaledJob's loop on a generation or pause change);
//     a ScaledJob left out (check failed) or deleted loses its loop.
//   * Each update is also Synced to the status writer (check failures,
//     paused annotations, deletions), and each poll Observed.
//   * Status and Events are written only between StartStatus and StopStatus:
//     a leader's job (see cli/up_cluster.h for the start/stop hooks).
//
// Threading: every method may be called from any thread; source updates run
// on the source's thread.
#ifndef EBB_CLI_CLUSTER_BINDING_H_
#define EBB_CLI_CLUSTER_BINDING_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "controller/controller.h"
#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/cluster/cluster_source.h"
#include "executors/kubernetes/cluster/status_writer.h"

namespace ebb::cli {

class ClusterBinding {
 public:
  struct Options {
    executors::kubernetes::cluster::ClusterSourceOptions source;
    executors::kubernetes::cluster::StatusWriterOptions status;
    // Called with the runnable manifests whenever they change (on the
    // source's thread), e.g. to tell the executor each ScaledJob's
    // pendingPodConditions. May be empty.
    std::function<void(const spec::Manifests&)> on_manifests;
  };
  // `client` must outlive the binding.
  ClusterBinding(executors::kubernetes::KubeClient* client, Options options);
  ~ClusterBinding();  // stops the source and the status writer

  // Starts reading the cluster and waits up to `timeout` for the first
  // update (every informer listed). The error says what has not listed; the
  // source keeps trying either way.
  absl::Status StartSource(absl::Duration timeout);
  void StopSource();
  // The runnable manifests of the last update (empty before the first).
  std::shared_ptr<const spec::Manifests> manifests() const;

  // From now on updates Reload `controller` (it must outlive the binding or
  // the next Attach(nullptr)); reloads it at once with the last update.
  absl::Status Attach(controller::Controller* controller);

  // Starts / stops writing status conditions and Events.
  void StartStatus();
  void StopStatus();

  // For ControllerOptions::on_poll: reports one poll to the status writer.
  void OnPoll(const std::string& scaled_job, const controller::PollRecord& r);

  executors::kubernetes::cluster::ScaledJobStatusWriter& status() {
    return status_;
  }
  executors::kubernetes::cluster::ClusterManifestSource& source() {
    return source_;
  }

  // What status needs of a poll.
  static executors::kubernetes::cluster::PollObservation ToObservation(
      const controller::PollRecord& r);

 private:
  void OnUpdate(const executors::kubernetes::cluster::ClusterUpdate& update);

  executors::kubernetes::cluster::ClusterManifestSource source_;
  executors::kubernetes::cluster::ScaledJobStatusWriter status_;
  const std::function<void(const spec::Manifests&)> on_manifests_;

  mutable std::mutex mu_;  // serialises reloads; guards the two below
  controller::Controller* controller_ = nullptr;
  std::shared_ptr<const spec::Manifests> manifests_;
};

}  // namespace ebb::cli

#endif  // EBB_CLI_CLUSTER_BINDING_H_
