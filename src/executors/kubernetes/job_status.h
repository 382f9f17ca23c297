// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/job_status.h
//
// An executors::Job from a batch/v1 Job object and its pods, with ebb's
// pending rule (executor.h, reference §2.3 and §6 "gaps"):
//   * finished: the Job has Complete=True (kSucceeded) or Failed=True
//     (kFailed, with the condition's reason and message);
//   * otherwise running once ONE pod is Ready — or, when the ScaledJob sets
//     pendingPodConditions, once one pod has every listed condition True —
//     and pending before that, even while a pod is phase Running (its model
//     may still be loading). A pending Job's reason and message say why, from
//     its newest pod: "Unschedulable" (no node can take it yet, e.g. GPU
//     nodes still booting), a container's waiting reason ("ErrImagePull",
//     "ImagePullBackOff", "ContainerCreating", "CrashLoopBackOff", ...),
//     "ContainersNotReady" / "PodConditionsNotMet" for a started pod not yet
//     ready, or "NoPod" before the Job controller made one.
// Pure functions over JSON; thread-compatible.
#ifndef EBB_EXECUTORS_KUBERNETES_JOB_STATUS_H_
#define EBB_EXECUTORS_KUBERNETES_JOB_STATUS_H_

#include <string>
#include <vector>

#include "executors/executor.h"
#include "nlohmann/json.hpp"

namespace ebb::executors::kubernetes {

// True when `pod` belongs to `job` (ownerReference uid, controller-uid label,
// or job-name label).
bool PodOfJob(const nlohmann::json& pod, const nlohmann::json& job);

// The keys under which PodIndex files a pod (its owners' uids, its
// controller-uid labels, its namespace/job-name label) and under which a Job
// looks its pods up (its uid, its namespace/name): every pod for which
// PodOfJob(pod, job) holds shares at least one key with the Job.
std::vector<std::string> PodKeys(const nlohmann::json& pod);
std::vector<std::string> JobKeys(const nlohmann::json& job);

Job JobFromObjects(const nlohmann::json& job,
                   const std::vector<const nlohmann::json*>& pods,
                   const std::vector<std::string>& pending_pod_conditions);

// What the pod cache keeps of a pod: metadata (name, namespace, uid, labels,
// ownerReferences, timestamps), container names, and status.
nlohmann::json SlimPod(const nlohmann::json& pod);

}  // namespace ebb::executors::kubernetes

#endif  // EBB_EXECUTORS_KUBERNETES_JOB_STATUS_H_
