// SPDX-License-Identifier: Apache-2.0
#include "cli/up_flags.h"

namespace ebb::cli {

void AddUpClusterFlags(CLI::App* up, UpOptions* o) {
  up->add_flag(
      "--kubernetes", o->kubernetes,
      "run the jobs as batch/v1 Jobs on a Kubernetes cluster, as KEDA does. "
      "With -f: the ScaledJobs of the files; without: the cluster's keda.sh "
      "ScaledJobs, whose status and Events ebb writes. Every ScaledJob needs "
      "an external broker (a rabbitmq trigger)");
  up->add_option(
      "--kubeconfig", o->kubeconfig,
      "with --kubernetes: kubeconfig file (default: $KUBECONFIG, else the "
      "in-cluster service account when in a pod, else ~/.kube/config)");
  up->add_option("--context", o->context,
                 "with --kubernetes: kubeconfig context (default: its "
                 "current-context)");
  up->add_option(
      "--namespace", o->namespaces,
      "with --kubernetes, without -f: namespace to read ScaledJobs from "
      "(repeatable; default: the context's or the pod's namespace, else "
      "\"default\")");
  up->add_option(
      "--cluster-object-namespace", o->cluster_object_namespace,
      "with --kubernetes, without -f: also read ClusterTriggerAuthentications "
      "(a cluster-wide list/watch), with their Secrets from this namespace "
      "(KEDA's KEDA_CLUSTER_OBJECT_NAMESPACE; default: not read)");
}

}  // namespace ebb::cli
