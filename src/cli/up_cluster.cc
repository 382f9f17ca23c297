// SPDX-License-Identifier: Apache-2.0
#include "cli/up_cluster.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/up_setup.h"
#include "common/log.h"
#include "common/status.h"
#include "scalers/validate_triggers.h"

namespace ebb::cli {
namespace {

namespace kube = executors::kubernetes;

constexpr absl::Duration kFirstReadTimeout = absl::Seconds(30);

// The namespaces of `m`'s ScaledJobs, sorted and unique.
std::vector<std::string> NamespacesOf(const spec::Manifests& m) {
  std::set<std::string> set;
  for (const spec::ScaledJob& job : m.scaled_jobs) set.insert(job.namespace_);
  return {set.begin(), set.end()};
}

}  // namespace

kube::cluster::ScaledJobCheck ClusterModeCheck(
    const scalers::ScalerRegistry& registry) {
  return [&registry](spec::LoadResult* r) {
    scalers::ValidateTriggers(registry, r);
    for (const spec::ScaledJob& job : r->manifests.scaled_jobs) {
      if (absl::Status s = CheckExternalBroker(job); !s.ok()) {
        r->diagnostics.push_back({spec::Diagnostic::Severity::kError,
                                  job.location, std::string(s.message())});
      }
    }
  };
}

absl::Status CheckExternalBroker(const spec::ScaledJob& job) {
  const std::string what =
      absl::StrCat("ScaledJob ", job.namespace_, "/", job.name);
  bool rabbitmq = false;
  for (const spec::ScaleTrigger& t : job.triggers) {
    if (t.type == "ebb-queue") {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": its trigger ", t.name.empty() ? t.type : t.name,
          " reads ebb's embedded queue, which pods on the cluster cannot "
          "reach; with --kubernetes every ScaledJob needs an external broker "
          "(a rabbitmq trigger)"));
    }
    rabbitmq = rabbitmq || t.type == "rabbitmq";
  }
  if (rabbitmq) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(what,
                   " has no rabbitmq trigger: with --kubernetes every "
                   "ScaledJob needs an external broker its pods can reach "
                   "(ebb's embedded queue is local to `ebb up`)"));
}

absl::StatusOr<std::unique_ptr<ClusterUp>> SetUpCluster(
    const UpOptions& o, const scalers::ScalerRegistry& registry) {
  auto up = std::make_unique<ClusterUp>();
  auto config = kube::LoadDefaultConfig(o.kubeconfig, o.context);
  if (!config.ok()) {
    return absl::Status(
        config.status().code(),
        absl::StrCat("--kubernetes: no usable Kubernetes configuration: ",
                     config.status().message(),
                     " (give --kubeconfig FILE, set KUBECONFIG, or run in a "
                     "pod with a service account)"));
  }
  up->config = *config;
  ClusterUp* raw = up.get();
  if (!o.files.empty()) {
    if (!o.namespaces.empty()) {
      EBB_LOG_WARN(
          "--namespace is ignored with -f: each ScaledJob's Jobs go to its "
          "metadata.namespace");
    }
    auto manifests = LoadForUp(o, registry);
    if (!manifests) return absl::InvalidArgumentError("manifest errors");
    for (const spec::ScaledJob& job : manifests->scaled_jobs) {
      EBB_RETURN_IF_ERROR(CheckExternalBroker(job));
    }
    up->manifests = manifests;
    up->namespaces = NamespacesOf(*manifests);
  } else {
    up->namespaces = o.namespaces.empty()
                         ? std::vector<std::string>{up->config.namespace_}
                         : o.namespaces;
  }
  EBB_LOG_INFO("kubernetes: API server {} ({}); namespace(s) {}",
               up->config.server, up->config.source,
               absl::StrJoin(up->namespaces, ", "));

  kube::KubernetesExecutorOptions eopts;
  eopts.config = up->config;
  up->kube = std::make_unique<kube::KubernetesExecutor>(eopts);
  up->executor = std::make_unique<kube::cluster::NamespacedExecutor>(
      *up->kube, [raw]() -> std::vector<std::string> {
        controller::Controller* c = raw->controller.load();
        if (c == nullptr || raw->binding) return raw->namespaces;
        return NamespacesOf(*c->manifests());
      });
  if (!o.files.empty()) {
    for (const spec::ScaledJob& job : up->manifests->scaled_jobs) {
      up->kube->SetPendingPodConditions(
          job.namespace_, job.name,
          job.scaling_strategy.pending_pod_conditions);
    }
    return up;
  }

  ClusterBinding::Options bopts;
  bopts.source.namespaces = up->namespaces;
  bopts.source.cluster_object_namespace = o.cluster_object_namespace;
  bopts.source.check = ClusterModeCheck(registry);
  bopts.on_manifests = [raw](const spec::Manifests& m) {
    for (const spec::ScaledJob& job : m.scaled_jobs) {
      raw->kube->SetPendingPodConditions(
          job.namespace_, job.name,
          job.scaling_strategy.pending_pod_conditions);
    }
  };
  up->binding =
      std::make_unique<ClusterBinding>(&up->kube->client(), std::move(bopts));
  EBB_LOG_INFO(
      "reading ScaledJobs, TriggerAuthentications and Secrets{} "
      "from the cluster",
      o.cluster_object_namespace.empty() ? ""
                                         : ", ClusterTriggerAuthentications");
  if (absl::Status s = up->binding->StartSource(kFirstReadTimeout); !s.ok()) {
    EBB_LOG_WARN(
        "{}; going on: ScaledJobs start as they are read (a cluster without "
        "KEDA's CRDs answers 404 for scaledjobs.keda.sh: give the ScaledJobs "
        "with -f instead)",
        std::string(s.message()));
  }
  up->manifests = up->binding->manifests();
  EBB_LOG_INFO("kubernetes: {} ScaledJob(s) runnable",
               up->manifests->scaled_jobs.size());
  return up;
}

absl::StatusOr<std::unique_ptr<executors::kubernetes::LeaderElector>>
StartLeaderElection(
    const UpOptions& o, ClusterUp& cluster, std::function<void()> start,
    std::function<void()> stop,
    std::unique_ptr<executors::kubernetes::KubeClient>* client) {
  namespace k8s = executors::kubernetes;
  k8s::LeaderElectionOptions le;
  le.lease_name = o.lease_name;
  le.lease_namespace = o.lease_namespace;  // "" = the configuration's
  le.lease_duration = absl::Seconds(o.lease_duration_s);
  le.renew_deadline = absl::Seconds(o.renew_deadline_s);
  le.retry_period = absl::Seconds(o.retry_period_s);
  *client = std::make_unique<k8s::KubeClient>(cluster.config);
  auto elector = k8s::LeaderElector::Create(**client, le);
  if (!elector.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election: ", elector.status().message()));
  }
  k8s::LeaderElector* e = elector->get();
  cluster.executor->SetCreateGate([e]() -> absl::Status {
    if (e->IsLeader()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "not the leader (Lease ", e->Describe(), " is held by ",
        e->CurrentLeader().empty() ? "nobody" : e->CurrentLeader(), ")"));
  });
  EBB_LOG_INFO(
      "leader election: Lease {} as {}; the scale loops run while this "
      "replica holds it",
      e->Describe(), e->identity());
  e->Start(std::move(start), std::move(stop));
  return elector;
}

}  // namespace ebb::cli
