// SPDX-License-Identifier: Apache-2.0
//
// File: controller/scale_loop.h
//
// The scale loop of one ScaledJob: KEDA's checkScalers + RequestJobScale
// (reference keda-scaledjob.md §2; kedacore/keda pkg/scaling/scale_handler.go,
// pkg/scaling/executor/scale_jobs.go), with ebb's deliberate differences:
//   - fail closed: when jobs cannot be listed, nothing is created;
//   - pending means "not ready to take work" (the executor's kPending), so jobs
//   whose
//     model is still loading are never double-started;
//   - failed jobs are cleaned up oldest failure first;
//   - a Wake() polls at once (a publish through ebb), while polls still happen
//   at
//     t0 + k * pollingInterval.
//
// Threading: Poll() and RolloutOldGenerations() run on the loop's own thread,
// one at a time. Snapshot() may be called from any thread.
#ifndef EBB_CONTROLLER_SCALE_LOOP_H_
#define EBB_CONTROLLER_SCALE_LOOP_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controller/start_backoff.h"
#include "executors/executor.h"
#include "metrics/metrics.h"
#include "scalers/scaler.h"
#include "spec/manifests.h"
#include "strategies/scaling_strategy.h"

namespace ebb::controller {

// One trigger of the ScaledJob, with a way to (re)build its scaler: KEDA
// rebuilds a scaler once after an error and retries (scalers_cache.go).
struct TriggerBinding {
  std::string name;  // trigger name, or "<type>" when unnamed
  std::string type;
  int index = 0;
  std::function<absl::StatusOr<std::unique_ptr<scalers::Scaler>>()> build;
};

struct TriggerReading {
  std::string name;
  std::string type;
  std::string metric_name;
  double value = 0;
  double target = 0;
  bool active = false;
  std::string error;  // masked; empty when the reading succeeded
};

// Everything one poll saw and did, for `ebb status`, the API and the UI.
struct PollRecord {
  absl::Time time;
  std::string cause;  // "start", "interval", "wake", "reload"
  bool paused = false;
  std::vector<TriggerReading> triggers;
  bool jobs_listed = false;  // false: fail closed, nothing created
  strategies::ScalingDecision decision;
  int created = 0;
  int create_failures = 0;
  int cleaned_up = 0;
  std::vector<std::string> created_jobs;
  // Non-empty while job creation is held back because jobs fail to start
  // (controller/start_backoff.h): why, and for how long.
  std::string start_backoff;
  std::string error;  // first error of this poll, masked
  double duration_ms = 0;
};

struct ScaleLoopOptions {
  // Added to every job's env (EBB_STORE, EBB_ATTEMPT_LIMIT is added by the
  // loop).
  std::map<std::string, std::string> extra_env;
  size_t history = 200;  // PollRecords kept
};

class ScaleLoop {
 public:
  // `executor`, `clock` and `metrics` must outlive the loop. `manifests` holds
  // the Secrets that job env refers to.
  ScaleLoop(spec::ScaledJob job,
            std::shared_ptr<const spec::Manifests> manifests,
            std::vector<TriggerBinding> triggers, executors::Executor& executor,
            Clock& clock, metrics::Registry& metrics, ScaleLoopOptions options);

  // One check: readings, fold, count jobs, decide, create, clean up history.
  // Never throws; errors are recorded in the returned PollRecord.
  PollRecord Poll(const std::string& cause);

  // Deletes jobs whose scaledjob.keda.sh/generation differs from the spec's,
  // unless the rollout strategy is gradual (§2.9,
  // deletePreviousVersionScaleJobs). Runs at every loop start, as KEDA runs it
  // on every reconcile; jobs of the current generation (adopted after a
  // restart) are kept.
  void RolloutOldGenerations();

  // The spec in force. Loop thread only.
  const spec::ScaledJob& job() const { return job_; }

  struct Snapshot {
    std::string name;
    std::string namespace_;
    int64_t polling_interval_s = 0;
    std::string strategy;
    int64_t max_replica_count = 0;
    int64_t min_replica_count = 0;
    bool paused = false;
    std::vector<PollRecord> recent;  // newest last
  };
  // Copy of the current state; `recent` holds at most `max_records` records.
  Snapshot GetSnapshot(size_t max_records) const;

 private:
  void ReadTriggers(PollRecord* record,
                    std::vector<strategies::TriggerSample>* samples);
  // Logs each job that failed since the last poll, with its reason.
  void ReportFinishedJobs(const std::vector<executors::Job>& jobs);
  void CleanUpHistory(const std::vector<executors::Job>& jobs,
                      PollRecord* record);
  void Record(PollRecord record);
  void ExportMetrics(const PollRecord& record);

  spec::ScaledJob job_;
  std::shared_ptr<const spec::Manifests> manifests_;
  std::vector<TriggerBinding> triggers_;
  std::vector<std::unique_ptr<scalers::Scaler>>
      scalers_;  // parallel to triggers_
  std::unique_ptr<strategies::ScalingStrategy> strategy_;
  executors::Executor& executor_;
  Clock& clock_;
  metrics::Registry& metrics_;
  ScaleLoopOptions options_;

  // Per trigger name, loop thread only: for log throttling.
  std::map<std::string, int> consecutive_failures_;
  std::map<std::string, std::string> last_error_;
  std::set<std::string> reported_failed_;  // failed jobs already logged
  StartBackoff start_backoff_;

  mutable std::mutex mu_;  // guards meta_ and history_
  Snapshot meta_;          // without records
  std::deque<PollRecord> history_;
};

}  // namespace ebb::controller

#endif  // EBB_CONTROLLER_SCALE_LOOP_H_
