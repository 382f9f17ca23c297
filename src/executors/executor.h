// SPDX-License-Identifier: Apache-2.0
//
// File: executors/executor.h
//
// An Executor runs the Jobs a ScaledJob asks for: local processes on this
// machine (local/) or Kubernetes batch/v1 Jobs (kubernetes/, later). The
// controller talks to it only through this interface.
//
// Job states follow Kubernetes, with one deliberate difference (DESIGN.md): a
// job is kPending until every one of its containers is *ready* — `ebb worker`
// says so once its model is loaded, a container with a readinessProbe when the
// probe passes, any other when it has started — not merely when its process
// exists. Finished means Complete (kSucceeded) or Failed (kFailed), as the Job
// conditions define them.
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_EXECUTOR_H_
#define EBB_EXECUTORS_EXECUTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "spec/manifests.h"

namespace ebb::executors {

enum class JobState { kPending, kRunning, kSucceeded, kFailed };
inline constexpr char kStartError[] = "StartError";
std::string JobStateName(
    JobState s);  // "pending", "running", "succeeded", "failed"

struct ContainerStatus {
  std::string name;
  std::string state;  // "waiting", "running", "terminated", "skipped"
  bool ready = false;
  int restarts = 0;
  std::optional<int> exit_code;  // last exit code, or 128+signal
  // Why the container last stopped, as Kubernetes' containerStatuses[]
  // state.terminated says it: "Completed" (exit 0), "Error", or "StartError"
  // when it could not be started at all (exec failed). `message` is the
  // container's termination message (the request outcome `ebb worker`
  // writes: worker/outcome.h), or for StartError why it failed ("cannot run
  // /bin/w: Argument list too long"). Both cleared when a start succeeds.
  std::string reason;
  std::string message;
};

struct Job {
  std::string name;  // "<scaledjob>-<5 random chars>"
  std::string namespace_;
  std::string scaled_job;  // label scaledjob.keda.sh/name
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string>
      annotations;  // incl. scaledjob.keda.sh/generation
  JobState state = JobState::kPending;
  bool deleting = false;  // a foreground delete is in progress
  absl::Time created = absl::InfinitePast();
  absl::Time started = absl::InfinitePast();  // first container started
  absl::Time ready = absl::InfinitePast();    // became kRunning
  absl::Time finished =
      absl::InfinitePast();  // Complete or Failed condition time
  // For kFailed: "BackoffLimitExceeded", "DeadlineExceeded", ... For
  // kPending (Kubernetes executor): why no pod is ready yet, from the pod:
  // "Unschedulable", "ImagePullBackOff", "ErrImagePull", "ContainerCreating",
  // "ContainersNotReady" (started, readiness not passed: model loading), ...
  std::string reason;
  std::string message;      // human-readable detail
  int failed_attempts = 0;  // container failures counted against backoffLimit
  std::vector<ContainerStatus> containers;

  bool Finished() const {
    return state == JobState::kSucceeded || state == JobState::kFailed;
  }
  // Generation annotation as a number; 0 when missing or not a number.
  int64_t Generation() const;
  // True when no container ever started and one failed to start
  // (reason "StartError"); `*why` (when given) gets its message.
  bool StartFailed(std::string* why = nullptr) const;
  // The request outcome: the first termination message of a container that
  // ran ("done", "failed", "dead-lettered", ...: worker/outcome.h); "" when
  // none has one (yet).
  std::string Outcome() const;
};

// One Job to create: the ScaledJob's jobTargetRef plus identity, with every env
// value already resolved (secretKeyRef looked up) by BuildJobRequest.
struct JobRequest {
  std::string scaled_job;
  std::string namespace_;
  std::map<std::string, std::string> labels;       // KEDA's job labels (§6)
  std::map<std::string, std::string> annotations;  // incl. generation
  spec::JobSpec spec;
  // container name -> its env, resolved, in the order the spec gives.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> env;
  // Added to every container's env by ebb (EBB_ATTEMPT_LIMIT, EBB_STORE, ...).
  std::map<std::string, std::string> extra_env;
  // metadata.uid of the ScaledJob when it exists in a cluster: the Kubernetes
  // executor then makes it the Jobs' controller ownerReference. "" = none.
  std::string scaled_job_uid;
  // scalingStrategy.pendingPodConditions (reference §2.3): a job stays
  // pending until one pod has all of them True (empty: until a pod is Ready).
  std::vector<std::string> pending_pod_conditions;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Starts one Job. On OK the job exists and is listed (kPending at first). On
  // error nothing is left running; a partly created job is removed.
  virtual absl::StatusOr<Job> Create(const JobRequest& request) = 0;
  // Every job of `scaled_job` in `ns` (all ScaledJobs when empty), finished
  // ones too. An error means the count is unknown: the controller then creates
  // nothing.
  virtual absl::StatusOr<std::vector<Job>> List(
      const std::string& ns, const std::string& scaled_job) = 0;
  // Deletes a job. A running job is stopped first (SIGTERM, then SIGKILL after
  // its termination grace period). With `foreground` the job stays listed,
  // deleting, until its processes are gone; otherwise it disappears at once.
  // NotFound if absent.
  virtual absl::Status Delete(const std::string& ns, const std::string& name,
                              bool foreground) = 0;
  // The log of one container ("" = the first), at most the last `max_bytes`
  // bytes.
  virtual absl::StatusOr<std::string> Logs(const std::string& ns,
                                           const std::string& name,
                                           const std::string& container,
                                           int64_t max_bytes) = 0;
};

// Builds the request for one new Job of `job` (reference §6): KEDA's labels
// (app.kubernetes.io/name, version, part-of, managed-by,
// scaledjob.keda.sh/name, then the ScaledJob's labels over them, minus
// scaledjob.keda.sh/job-excluded-labels), the generation annotation plus the
// ScaledJob's annotations, the env of every container resolved against
// `manifests`, and the ScaledJob's uid (scaled_job_uid). NotFound naming a
// missing Secret/key.
absl::StatusOr<JobRequest> BuildJobRequest(const spec::ScaledJob& job,
                                           const spec::Manifests& manifests);

}  // namespace ebb::executors

#endif  // EBB_EXECUTORS_EXECUTOR_H_
