// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/supervisor.h
//
// The per-job supervisor: a detached process (`ebb __supervise DIR`) that runs
// one job's containers as child processes and keeps DIR/state.json current.
// It outlives `ebb up`; if it dies, its containers die with it
// (PR_SET_PDEATHSIG) and LocalExecutor::List reports the job Failed with
// reason SupervisorLost, so the broker redelivers the job's message.
//
// Behaviour (Kubernetes Job semantics, with the differences noted):
//   * Every non-skipped container starts at once (fork/exec, never a shell),
//     stdout+stderr appended to DIR/logs/<container>.log, with a minimal env:
//     PATH, HOME, LANG, TMPDIR of the supervisor, then the container's env.
//   * Readiness: `notify` containers are ready once they write "READY=1\n" to
//     fd EBB_READY_FD; containers with an exec readinessProbe once the probe
//     passes successThreshold times (probes run every periodSeconds after
//     initialDelaySeconds, killed after timeoutSeconds); others once started.
//     The job is running while every container is ready or has exited 0, and
//     pending otherwise (also while a container waits to be restarted).
//   * emptyDir volumes are DIR/volumes/<name>. As root each container gets a
//     private mount namespace with the volume bind-mounted at its mountPath;
//     otherwise (or if mounting fails) EBB_VOLUME_<NAME>=<dir> is exported.
//   * restartPolicy OnFailure: a container that exits non-zero is restarted
//     after a backoff of 1 s, doubling per restart, capped at 30 s
//     (Kubernetes: 10 s doubling to 5 min; shorter here because a local
//     process restarts in milliseconds). restartPolicy Never: a failed
//     container fails the pod attempt: the other containers are stopped and
//     all are started again after the same backoff. Each failure counts;
//     failures > backoffLimit -> Failed "BackoffLimitExceeded" (the rest are
//     stopped).
//   * Every container exited 0 -> Succeeded (reason "Completed").
//   * activeDeadlineSeconds after the supervisor starts -> Failed
//     "DeadlineExceeded".
//   * SIGTERM (or SIGINT/SIGHUP) -> containers get SIGTERM, then SIGKILL after
//     terminationGracePeriodSeconds; the job ends Failed "Terminated".
//   * A container's whole process group is killed when it exits.
// The loop is poll() on a signalfd (SIGCHLD, SIGTERM, ...) and the readiness
// pipes, with timeouts for backoff, probes, the deadline and the grace period.
#ifndef EBB_EXECUTORS_LOCAL_SUPERVISOR_H_
#define EBB_EXECUTORS_LOCAL_SUPERVISOR_H_

#include <string>

namespace ebb::executors::local {

// Runs the job in `job_dir` (which holds job.json) to its end, then returns
// the process exit code: 0 when the job was supervised to a final state
// (whatever it is), 1 when job.json cannot be read or set-up fails (state.json
// then says Failed with the reason when it can be written). Call it in a
// fresh, single-threaded process: it blocks signals, forks and reaps every
// child of the process.
int RunSupervisor(const std::string& job_dir);

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_SUPERVISOR_H_
