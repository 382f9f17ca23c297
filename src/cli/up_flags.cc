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
  up->add_flag("--leader-elect,!--no-leader-elect", o->leader_elect,
               "with --kubernetes: of several replicas, only the holder of a "
               "coordination.k8s.io/v1 Lease creates Jobs and writes status; "
               "the others serve the API and UI and take over when it goes "
               "(default: on; --leader-elect=false or --no-leader-elect for a "
               "single replica)");
  up->add_option("--lease-name", o->lease_name,
                 "with --kubernetes: the Lease's name")
      ->capture_default_str();
  up->add_option("--lease-namespace", o->lease_namespace,
                 "with --kubernetes: the Lease's namespace (default: the "
                 "context's or the pod's namespace)");
  up->add_option("--lease-duration", o->lease_duration_s,
                 "with --kubernetes: seconds a candidate waits, after the "
                 "Lease last changed, before taking it over")
      ->capture_default_str();
  up->add_option("--renew-deadline", o->renew_deadline_s,
                 "with --kubernetes: seconds the leader keeps trying to renew "
                 "before it stops acting (must be < --lease-duration)")
      ->capture_default_str();
  up->add_option("--retry-period", o->retry_period_s,
                 "with --kubernetes: seconds between tries to take or renew "
                 "the Lease")
      ->capture_default_str();
}

}  // namespace ebb::cli
