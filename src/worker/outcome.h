// SPDX-License-Identifier: Apache-2.0
//
// File: worker/outcome.h
//
// The request outcome of a worker's run, reported the way Kubernetes reports a
// container's termination message: the worker writes it to the file named by
// EBB_TERMINATION_MESSAGE_PATH (the local executor sets it per container and
// stores what it finds in the job's status; on a cluster, point it at the
// container's terminationMessagePath). A job that exits 0 has succeeded as a
// job; its outcome says what became of the request it took:
//   "done"           the record was written with status done
//   "failed"         failed for good: failed record + dead letter
//   "retried"        the attempt failed and the request was handed back
//   "dead-lettered"  the message was invalid and dead-lettered
//   "no message"     the queue was empty (or the worker stopped first)
// A worker that handled several requests writes the counts: "2 done, 1
// failed". Thread-compatible.
#ifndef EBB_WORKER_OUTCOME_H_
#define EBB_WORKER_OUTCOME_H_

#include <string>

#include "absl/status/status.h"
#include "worker/worker.h"

namespace ebb::worker {

inline constexpr char kTerminationMessagePathEnv[] =
    "EBB_TERMINATION_MESSAGE_PATH";

// The outcome line for `stats` (see above).
std::string OutcomeOf(const WorkerStats& stats);

// Writes OutcomeOf(stats) to $EBB_TERMINATION_MESSAGE_PATH. OK and nothing
// written when the variable is unset or empty; Internal (naming the path) when
// the file cannot be written.
absl::Status WriteOutcome(const WorkerStats& stats);

}  // namespace ebb::worker

#endif  // EBB_WORKER_OUTCOME_H_
