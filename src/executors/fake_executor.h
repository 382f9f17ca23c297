// SPDX-License-Identifier: Apache-2.0
//
// File: executors/fake_executor.h
//
// FakeExecutor: an in-memory Executor for tests of the controller (and of
// anything else that drives an Executor). Jobs are plain records: nothing runs.
// Tests move jobs between states with SetState, inject errors with
// FailNextCreate / FailNextList / FailNextDelete, and inspect what was asked
// with requests() / deletes().
//
// Semantics (same contract as executor.h):
//   * Create returns a job named "<scaledjob>-<5 chars>" (a deterministic,
//     increasing suffix: "00001", "00002", ...), kPending, created = clock now.
//   * List returns jobs in creation order.
//   * Delete of a finished job, or any background delete, removes the job at
//     once. A foreground delete of an unfinished job marks it deleting; it
//     stays listed until the test calls CompleteDeletes() (or at once when
//     set_instant_foreground_delete(true)).
//
// Threading: every method is thread-safe.
#ifndef EBB_EXECUTORS_FAKE_EXECUTOR_H_
#define EBB_EXECUTORS_FAKE_EXECUTOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "executors/executor.h"

namespace ebb::executors {

class FakeExecutor : public Executor {
 public:
  // `clock` stamps created/started/ready/finished; must outlive this object.
  explicit FakeExecutor(Clock* clock = Clock::Real());

  // See executor.h.
  absl::StatusOr<Job> Create(const JobRequest& request) override;
  absl::StatusOr<std::vector<Job>> List(const std::string& ns,
                                        const std::string& scaled_job) override;
  absl::Status Delete(const std::string& ns, const std::string& name,
                      bool foreground) override;
  absl::StatusOr<std::string> Logs(const std::string& ns,
                                   const std::string& name,
                                   const std::string& container,
                                   int64_t max_bytes) override;

  // ---- test controls
  // The next `times` calls fail with `status` (default Unavailable) and change
  // nothing. Calls queue up: FailNextCreate(a); FailNextCreate(b) fails the
  // next two with a then b.
  void FailNextCreate(
      absl::Status status = absl::UnavailableError("injected create failure"),
      int times = 1);
  void FailNextList(
      absl::Status status = absl::UnavailableError("injected list failure"),
      int times = 1);
  void FailNextDelete(
      absl::Status status = absl::UnavailableError("injected delete failure"),
      int times = 1);

  // Moves a job to `state`, stamping the matching times with the clock:
  // kRunning sets started and ready (if unset); kSucceeded/kFailed set
  // finished (and started if unset). `reason` goes to Job::reason (use e.g.
  // "BackoffLimitExceeded" for kFailed). Every container's status follows
  // (ready when running; terminated with exit code 0/1 when finished).
  // NotFound if the job does not exist.
  absl::Status SetState(const std::string& ns, const std::string& name,
                        JobState state, const std::string& reason = "");
  // Sets the whole stored record (name and namespace_ pick the job); for
  // tests that need exact times or container statuses. NotFound if absent.
  absl::Status SetJob(const Job& job);
  // Sets the text Logs returns for one container ("" = the first).
  void SetLogs(const std::string& ns, const std::string& name,
               const std::string& container, const std::string& text);
  // Removes every job marked deleting (a foreground delete that finished).
  void CompleteDeletes();
  void set_instant_foreground_delete(bool v);

  // ---- inspection
  std::optional<Job> Get(const std::string& ns, const std::string& name) const;
  // Every successful Create's request, in order.
  std::vector<JobRequest> requests() const;
  struct DeleteCall {
    std::string ns;
    std::string name;
    bool foreground = false;
  };
  // Every Delete call that succeeded, in order.
  std::vector<DeleteCall> deletes() const;
  int create_calls() const;  // attempted, including failed ones
  int list_calls() const;    // attempted, including failed ones
  size_t size() const;       // jobs stored (deleting ones included)

 private:
  struct Entry {
    Job job;
    std::map<std::string, std::string> logs;  // container -> text
  };
  static std::string Key(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
  }
  static absl::Status PopFailure(std::deque<absl::Status>* q);

  Clock* const clock_;
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::string> order_;  // creation seq -> key
  std::map<std::string, Entry> jobs_;
  std::deque<absl::Status> create_failures_, list_failures_, delete_failures_;
  std::vector<JobRequest> requests_;
  std::vector<DeleteCall> deletes_;
  int create_calls_ = 0;
  int list_calls_ = 0;
  bool instant_foreground_delete_ = false;
};

}  // namespace ebb::executors

#endif  // EBB_EXECUTORS_FAKE_EXECUTOR_H_
