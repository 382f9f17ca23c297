// SPDX-License-Identifier: Apache-2.0
#include "executors/fake_executor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ebb::executors {

FakeExecutor::FakeExecutor(Clock* clock) : clock_(clock) {}

absl::Status FakeExecutor::PopFailure(std::deque<absl::Status>* q) {
  if (q->empty()) return absl::OkStatus();
  absl::Status s = q->front();
  q->pop_front();
  return s;
}

absl::StatusOr<Job> FakeExecutor::Create(const JobRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++create_calls_;
  if (absl::Status s = PopFailure(&create_failures_); !s.ok()) return s;
  uint64_t id = next_id_++;
  Job job;
  job.name = absl::StrFormat("%s-%05d", request.scaled_job, id % 100000);
  job.namespace_ = request.namespace_;
  job.scaled_job = request.scaled_job;
  job.labels = request.labels;
  job.annotations = request.annotations;
  job.state = JobState::kPending;
  job.created = clock_->Now();
  for (const spec::Container& c : request.spec.template_.containers) {
    ContainerStatus cs;
    cs.name = c.name;
    cs.state = "waiting";
    job.containers.push_back(cs);
  }
  std::string key = Key(job.namespace_, job.name);
  order_[id] = key;
  jobs_[key] = Entry{job, {}};
  requests_.push_back(request);
  return job;
}

absl::StatusOr<std::vector<Job>> FakeExecutor::List(
    const std::string& ns, const std::string& scaled_job) {
  std::lock_guard<std::mutex> lock(mu_);
  ++list_calls_;
  if (absl::Status s = PopFailure(&list_failures_); !s.ok()) return s;
  std::vector<Job> out;
  for (const auto& [id, key] : order_) {
    auto it = jobs_.find(key);
    if (it == jobs_.end()) continue;
    const Job& j = it->second.job;
    if (!ns.empty() && j.namespace_ != ns) continue;
    if (!scaled_job.empty() && j.scaled_job != scaled_job) continue;
    out.push_back(j);
  }
  return out;
}

absl::Status FakeExecutor::Delete(const std::string& ns,
                                  const std::string& name, bool foreground) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = PopFailure(&delete_failures_); !s.ok()) return s;
  auto it = jobs_.find(Key(ns, name));
  if (it == jobs_.end())
    return absl::NotFoundError(absl::StrCat("job ", ns, "/", name));
  deletes_.push_back(DeleteCall{ns, name, foreground});
  Job& j = it->second.job;
  if (!foreground || j.Finished() || instant_foreground_delete_) {
    jobs_.erase(it);
  } else {
    j.deleting = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeExecutor::Logs(const std::string& ns,
                                               const std::string& name,
                                               const std::string& container,
                                               int64_t max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(Key(ns, name));
  if (it == jobs_.end())
    return absl::NotFoundError(absl::StrCat("job ", ns, "/", name));
  std::string c = container;
  if (c.empty() && !it->second.job.containers.empty())
    c = it->second.job.containers.front().name;
  auto lit = it->second.logs.find(c);
  if (lit == it->second.logs.end()) {
    bool known = std::any_of(
        it->second.job.containers.begin(), it->second.job.containers.end(),
        [&](const ContainerStatus& s) { return s.name == c; });
    if (!known)
      return absl::NotFoundError(
          absl::StrCat("job ", ns, "/", name, " has no container ", c));
    return std::string();
  }
  const std::string& text = lit->second;
  if (max_bytes >= 0 && static_cast<int64_t>(text.size()) > max_bytes)
    return text.substr(text.size() - max_bytes);
  return text;
}

void FakeExecutor::FailNextCreate(absl::Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) create_failures_.push_back(status);
}
void FakeExecutor::FailNextList(absl::Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) list_failures_.push_back(status);
}
void FakeExecutor::FailNextDelete(absl::Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) delete_failures_.push_back(status);
}

absl::Status FakeExecutor::SetState(const std::string& ns,
                                    const std::string& name, JobState state,
                                    const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(Key(ns, name));
  if (it == jobs_.end())
    return absl::NotFoundError(absl::StrCat("job ", ns, "/", name));
  Job& j = it->second.job;
  absl::Time now = clock_->Now();
  j.state = state;
  j.reason = reason;
  switch (state) {
    case JobState::kPending:
      break;
    case JobState::kRunning:
      if (j.started == absl::InfinitePast()) j.started = now;
      if (j.ready == absl::InfinitePast()) j.ready = now;
      break;
    case JobState::kSucceeded:
    case JobState::kFailed:
      if (j.started == absl::InfinitePast()) j.started = now;
      j.finished = now;
      break;
  }
  for (ContainerStatus& c : j.containers) {
    c.ready = state == JobState::kRunning;
    if (state == JobState::kRunning) c.state = "running";
    if (state == JobState::kPending) c.state = "waiting";
    if (j.Finished()) {
      c.state = "terminated";
      c.exit_code = state == JobState::kSucceeded ? 0 : 1;
    }
  }
  if (state == JobState::kFailed && j.failed_attempts == 0)
    j.failed_attempts = 1;
  return absl::OkStatus();
}

absl::Status FakeExecutor::SetJob(const Job& job) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(Key(job.namespace_, job.name));
  if (it == jobs_.end())
    return absl::NotFoundError(
        absl::StrCat("job ", job.namespace_, "/", job.name));
  it->second.job = job;
  return absl::OkStatus();
}

void FakeExecutor::SetLogs(const std::string& ns, const std::string& name,
                           const std::string& container,
                           const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(Key(ns, name));
  if (it == jobs_.end()) return;
  std::string c = container;
  if (c.empty() && !it->second.job.containers.empty())
    c = it->second.job.containers.front().name;
  it->second.logs[c] = text;
}

void FakeExecutor::CompleteDeletes() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.job.deleting)
      it = jobs_.erase(it);
    else
      ++it;
  }
}

void FakeExecutor::set_instant_foreground_delete(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  instant_foreground_delete_ = v;
}

std::optional<Job> FakeExecutor::Get(const std::string& ns,
                                     const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(Key(ns, name));
  if (it == jobs_.end()) return std::nullopt;
  return it->second.job;
}

std::vector<JobRequest> FakeExecutor::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}
std::vector<FakeExecutor::DeleteCall> FakeExecutor::deletes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deletes_;
}
int FakeExecutor::create_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return create_calls_;
}
int FakeExecutor::list_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return list_calls_;
}
size_t FakeExecutor::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

}  // namespace ebb::executors
