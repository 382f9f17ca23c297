// SPDX-License-Identifier: Apache-2.0
#include "controller/scale_loop.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"

namespace ebb::controller {
namespace {

using executors::Job;
using executors::JobState;

std::string StatusText(const absl::Status& s) {
  return MaskUrlCredentials(s.ToString());
}

}  // namespace

ScaleLoop::ScaleLoop(spec::ScaledJob job,
                     std::shared_ptr<const spec::Manifests> manifests,
                     std::vector<TriggerBinding> triggers,
                     executors::Executor& executor, Clock& clock,
                     metrics::Registry& metrics, ScaleLoopOptions options)
    : executor_(executor),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)) {
  metrics_.Describe(
      "keda_scaler_metrics_value", "gauge",
      "The current value for each scaler's metric that would be used by the "
      "HPA in computing the target average.");
  metrics_.Describe("keda_scaler_active", "gauge",
                    "Activity of a scaler: 1 active, 0 inactive.");
  metrics_.Describe(
      "keda_scaler_metrics_latency_seconds", "gauge",
      "The latency of retrieving the current metric from each scaler.");
  metrics_.Describe("keda_scaler_detail_errors_total", "counter",
                    "The total number of errors encountered for each scaler.");
  metrics_.Describe("keda_scaled_job_errors_total", "counter",
                    "Number of scaled job errors.");
  metrics_.Describe("ebb_jobs_running", "gauge",
                    "Unfinished jobs of the ScaledJob (pending included).");
  metrics_.Describe(
      "ebb_jobs_pending", "gauge",
      "Jobs not yet ready to take work (model loading, starting).");
  metrics_.Describe("ebb_jobs_created_total", "counter", "Jobs created.");
  metrics_.Describe("ebb_job_create_failures_total", "counter",
                    "Job creations that failed.");
  metrics_.Describe("ebb_scale_decisions_total", "counter",
                    "Scale decisions made (polls).");
  metrics_.Describe("ebb_effective_max_scale", "gauge",
                    "The strategy's effective max scale at the last poll.");
  job_ = std::move(job);
  manifests_ = std::move(manifests);
  triggers_ = std::move(triggers);
  scalers_.clear();
  scalers_.resize(triggers_.size());
  strategy_ = strategies::MakeStrategy(job_.scaling_strategy);
  {
    std::lock_guard<std::mutex> lock(mu_);
    meta_.name = job_.name;
    meta_.namespace_ = job_.namespace_;
    meta_.polling_interval_s = job_.polling_interval;
    meta_.strategy = strategy_->Name();
    meta_.max_replica_count = job_.max_replica_count.value_or(100);
    meta_.min_replica_count = job_.MinReplicaCount();
    meta_.paused = job_.Paused();
  }
}

void ScaleLoop::RolloutOldGenerations() {
  const std::string rollout = job_.EffectiveRolloutStrategy();
  if (rollout == "gradual") {
    EBB_LOG_INFO(
        "scaledjob {}: generation {}: gradual rollout, old jobs keep running",
        job_.name, job_.generation);
    return;
  }
  auto jobs = executor_.List(job_.namespace_, job_.name);
  if (!jobs.ok()) {
    EBB_LOG_WARN("scaledjob {}: rollout cleanup failed: cannot list jobs: {}",
                 job_.name, StatusText(jobs.status()));
    return;
  }
  int adopted = 0;
  for (const Job& j : *jobs)
    adopted += (!j.Finished() && j.Generation() == job_.generation);
  if (adopted > 0) {
    EBB_LOG_INFO("scaledjob {}: adopted {} unfinished job(s) of generation {}",
                 job_.name, adopted, job_.generation);
  }
  int deleted = 0;
  EBB_LOG_DEBUG("scaledjob {}: rollout check for generation {}", job_.name,
                job_.generation);
  for (const Job& j : *jobs) {
    if (j.Generation() == job_.generation || j.deleting || j.Finished())
      continue;
    absl::Status s =
        executor_.Delete(j.namespace_, j.name, job_.rollout.Foreground());
    if (!s.ok() && !absl::IsNotFound(s)) {
      EBB_LOG_WARN("scaledjob {}: rollout cleanup of job {} failed: {}",
                   job_.name, j.name, StatusText(s));
      return;
    }
    ++deleted;
  }
  if (deleted > 0) {
    EBB_LOG_INFO(
        "scaledjob {}: rollout to generation {}: deleted {} old job(s) ({})",
        job_.name, job_.generation, deleted,
        job_.rollout.Foreground() ? "foreground" : "background");
  }
}

void ScaleLoop::ReadTriggers(PollRecord* record,
                             std::vector<strategies::TriggerSample>* samples) {
  for (size_t i = 0; i < triggers_.size(); ++i) {
    const TriggerBinding& t = triggers_[i];
    TriggerReading reading;
    reading.name = t.name;
    reading.type = t.type;
    absl::Status last = absl::OkStatus();
    absl::Time start = clock_.Now();
    // Read; on error rebuild the scaler once and retry (KEDA scalers_cache.go).
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!scalers_[i] || attempt == 1) {
        auto built = t.build();
        if (!built.ok()) {
          last = built.status();
          scalers_[i].reset();
          continue;
        }
        scalers_[i] = std::move(built).value();
      }
      auto r = scalers_[i]->GetMetricsAndActivity();
      if (r.ok()) {
        reading.metric_name = r->metric_name;
        reading.value = r->value;
        reading.active = r->active;
        reading.target = scalers_[i]->Target();
        last = absl::OkStatus();
        break;
      }
      last = r.status();
    }
    const metrics::Labels labels = {{"namespace", job_.namespace_},
                                    {"scaledObject", job_.name},
                                    {"scaler", t.type + "Scaler"},
                                    {"triggerIndex", std::to_string(t.index)},
                                    {"type", "scaledjob"}};
    metrics_.Set("keda_scaler_metrics_latency_seconds", labels,
                 absl::ToDoubleSeconds(clock_.Now() - start));
    if (!last.ok()) {
      reading.error = StatusText(last);
      if (record->error.empty())
        record->error = "trigger " + t.name + ": " + reading.error;
      metrics_.Add("keda_scaler_detail_errors_total", labels);
      metrics_.Add("keda_scaled_job_errors_total",
                   {{"namespace", job_.namespace_}, {"scaledJob", job_.name}});
      // Say it once, when it changes, and then every 30th poll: a broker that
      // is down for an hour should not fill the log.
      int& failures = consecutive_failures_[t.name];
      ++failures;
      if (failures == 1 || failures % 30 == 0 ||
          reading.error != last_error_[t.name]) {
        EBB_LOG_WARN(
            "scaledjob {}: trigger {} failed ({} poll(s) in a row), skipped: "
            "{}",
            job_.name, t.name, failures, reading.error);
      }
      last_error_[t.name] = reading.error;
    } else {
      if (int& failures = consecutive_failures_[t.name]; failures > 0) {
        EBB_LOG_INFO(
            "scaledjob {}: trigger {} recovered after {} failed poll(s)",
            job_.name, t.name, failures);
        failures = 0;
        last_error_.erase(t.name);
      }
      samples->push_back({.name = t.name,
                          .queue_length = reading.value,
                          .target = reading.target,
                          .active = reading.active});
      metrics_.Set("keda_scaler_metrics_value", labels, reading.value);
      metrics_.Set("keda_scaler_active", labels, reading.active ? 1 : 0);
    }
    record->triggers.push_back(std::move(reading));
  }
}

PollRecord ScaleLoop::Poll(const std::string& cause) {
  PollRecord record;
  record.time = clock_.Now();
  record.cause = cause;
  const absl::Time started = absl::Now();
  if (job_.Paused()) {
    record.paused = true;
    record.decision.reason =
        "paused (autoscaling.keda.sh/paused): no jobs created or cleaned up";
    Record(record);
    return record;
  }

  std::vector<strategies::TriggerSample> samples;
  ReadTriggers(&record, &samples);
  const int64_t min = job_.MinReplicaCount();
  const int64_t x = job_.MaxReplicaCount();
  strategies::CombinedMetrics combined = strategies::CombineTriggers(
      samples, job_.scaling_strategy.multiple_scalers_calculation, min, x);

  auto jobs = executor_.List(job_.namespace_, job_.name);
  if (!jobs.ok()) {
    // Fail closed: KEDA counts 0 here and over-creates; ebb creates nothing.
    record.jobs_listed = false;
    record.error =
        "cannot list jobs, creating none: " + StatusText(jobs.status());
    record.decision.active = combined.active;
    record.decision.queue_length = combined.queue_length;
    record.decision.max_scale = combined.max_scale;
    record.decision.strategy = strategy_->Name();
    record.decision.reason = record.error;
    metrics_.Add("keda_scaled_job_errors_total",
                 {{"namespace", job_.namespace_}, {"scaledJob", job_.name}});
    EBB_LOG_WARN("scaledjob {}: {}", job_.name, record.error);
    record.duration_ms = absl::ToDoubleMilliseconds(absl::Now() - started);
    Record(record);
    return record;
  }
  record.jobs_listed = true;
  ReportFinishedJobs(*jobs);
  int64_t running_all = 0, pending = 0;
  for (const Job& j : *jobs) {
    if (j.Finished()) continue;
    ++running_all;
    if (j.state == JobState::kPending) ++pending;
  }

  record.decision =
      strategies::Decide(*strategy_, combined, running_all, pending, min, x);
  const absl::Duration delay_before = start_backoff_.delay();
  start_backoff_.Observe(*jobs, record.time);
  record.start_backoff = start_backoff_.Describe(record.time);
  if (start_backoff_.delay() > delay_before) {
    EBB_LOG_WARN("scaledjob {}: {}", job_.name, record.start_backoff);
  }
  const int64_t to_create =
      record.start_backoff.empty() ? record.decision.create : 0;
  if (record.decision.create > 0 && !record.start_backoff.empty()) {
    record.error = record.start_backoff;
  }
  if (to_create > 0) {
    auto request = executors::BuildJobRequest(job_, *manifests_);
    if (!request.ok()) {
      record.create_failures = static_cast<int>(to_create);
      record.error = "cannot build job: " + StatusText(request.status());
    } else {
      for (const auto& [k, v] : options_.extra_env) request->extra_env[k] = v;
      if (!request->extra_env.count("EBB_ATTEMPT_LIMIT")) {
        request->extra_env["EBB_ATTEMPT_LIMIT"] =
            std::to_string(job_.job_target_ref.backoff_limit + 1);
      }
      // Creates are sequential and independent, as in KEDA: no rollback; the
      // next poll re-evaluates.
      for (int64_t i = 0; i < to_create; ++i) {
        auto created = executor_.Create(*request);
        if (created.ok()) {
          ++record.created;
          record.created_jobs.push_back(created->name);
        } else {
          ++record.create_failures;
          if (record.error.empty())
            record.error = "create job: " + StatusText(created.status());
        }
      }
    }
  }
  if (record.created > 0 || record.create_failures > 0) {
    EBB_LOG_INFO(
        "scaledjob {}: created {} job(s){}: queue {}, running {}, pending {}, "
        "strategy {}, "
        "max {} ({})",
        job_.name, record.created,
        record.create_failures
            ? absl::StrCat(", ", record.create_failures, " failed")
            : "",
        record.decision.queue_length, running_all, pending,
        record.decision.strategy, job_.max_replica_count.value_or(100), cause);
  }
  if (!record.error.empty() && record.create_failures > 0) {
    EBB_LOG_WARN("scaledjob {}: {}", job_.name, record.error);
  }
  CleanUpHistory(*jobs, &record);
  record.duration_ms = absl::ToDoubleMilliseconds(absl::Now() - started);
  ExportMetrics(record);
  Record(record);
  return record;
}

void ScaleLoop::ReportFinishedJobs(const std::vector<Job>& jobs) {
  std::set<std::string> failed_now;
  for (const Job& j : jobs) {
    if (j.state != JobState::kFailed) continue;
    failed_now.insert(j.name);
    if (reported_failed_.count(j.name)) continue;
    EBB_LOG_WARN("scaledjob {}: job {} failed: {}{}{} (its log: `ebb logs {}`)",
                 job_.name, j.name,
                 j.reason.empty() ? "unknown reason" : j.reason,
                 j.message.empty() ? "" : ": ", j.message, j.name);
  }
  reported_failed_ = std::move(failed_now);  // forget jobs that are gone
}

void ScaleLoop::CleanUpHistory(const std::vector<Job>& jobs,
                               PollRecord* record) {
  std::vector<const Job*> succeeded, failed;
  for (const Job& j : jobs) {
    if (j.deleting) continue;
    if (j.state == JobState::kSucceeded) succeeded.push_back(&j);
    if (j.state == JobState::kFailed) failed.push_back(&j);
  }
  // Oldest first by completion time; for failed jobs this is the failure time
  // (KEDA sorts failed jobs by a completionTime they do not have: effectively
  // arbitrary).
  auto by_finish = [](const Job* a, const Job* b) {
    return a->finished < b->finished;
  };
  auto prune = [&](std::vector<const Job*>& list, int64_t limit) {
    std::sort(list.begin(), list.end(), by_finish);
    const int64_t excess = static_cast<int64_t>(list.size()) - limit;
    for (int64_t i = 0; i < excess; ++i) {
      absl::Status s =
          executor_.Delete(list[i]->namespace_, list[i]->name, false);
      if (!s.ok() && !absl::IsNotFound(s)) {
        EBB_LOG_WARN("scaledjob {}: history cleanup of {} failed: {}",
                     job_.name, list[i]->name, StatusText(s));
        return;  // stop at the first delete error, as KEDA does
      }
      ++record->cleaned_up;
    }
  };
  prune(succeeded, job_.successful_jobs_history_limit);
  prune(failed, job_.failed_jobs_history_limit);
}

void ScaleLoop::ExportMetrics(const PollRecord& record) {
  const metrics::Labels labels = {{"namespace", job_.namespace_},
                                  {"scaledJob", job_.name}};
  metrics_.Set("ebb_jobs_running", labels,
               static_cast<double>(record.decision.running_all));
  metrics_.Set("ebb_jobs_pending", labels,
               static_cast<double>(record.decision.pending));
  metrics_.Set("ebb_effective_max_scale", labels,
               static_cast<double>(record.decision.effective_max));
  metrics_.Add("ebb_scale_decisions_total", labels);
  if (record.created)
    metrics_.Add("ebb_jobs_created_total", labels, record.created);
  if (record.create_failures) {
    metrics_.Add("ebb_job_create_failures_total", labels,
                 record.create_failures);
  }
}

void ScaleLoop::Record(PollRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  history_.push_back(std::move(record));
  while (history_.size() > options_.history) history_.pop_front();
}

ScaleLoop::Snapshot ScaleLoop::GetSnapshot(size_t max_records) const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot s = meta_;
  size_t start =
      history_.size() > max_records ? history_.size() - max_records : 0;
  s.recent.assign(history_.begin() + static_cast<std::ptrdiff_t>(start),
                  history_.end());
  return s;
}

}  // namespace ebb::controller
