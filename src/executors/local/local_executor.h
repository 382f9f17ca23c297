// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/local_executor.h
//
// LocalExecutor runs each Job as local processes on this machine, under a
// detached supervisor process per job (supervisor.h). Jobs live under
// <data_dir>/jobs/<namespace>/<job>/ (layout in job_files.h), so they survive
// a restart of `ebb up`: a new LocalExecutor on the same data_dir lists them,
// and a job whose supervisor died while unfinished is reported (and recorded)
// as Failed with reason "SupervisorLost" — also one whose supervisor never
// started (its creator was killed mid-Create) 30 s after it was
// created.
//
// Containers are mapped to local commands by an ImageMap (image_map.h):
//   * a mapping with `skip: true`: the container is not run (state "skipped");
//   * a mapping with `command`: argv = command ({ebb} expanded) + args;
//   * no mapping, but the container has `command`: command + args as written;
//   * no mapping and no command: Create fails (FailedPrecondition) naming the
//     image and the image map file to edit.
//
// Threading: every method may be called from any thread concurrently. Several
// processes may read the same data_dir (e.g. `ebb jobs`), but only one
// LocalExecutor should Create/Delete in it.
#ifndef EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_H_
#define EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "executors/executor.h"
#include "executors/local/image_map.h"
#include "executors/local/job_files.h"

namespace ebb::executors::local {

struct LocalExecutorOptions {
  // Root of ebb's state; jobs go to <data_dir>/jobs/<ns>/<job>/. Required.
  std::string data_dir;
  // Image -> local command; `image_map.source()` is named in errors.
  ImageMap image_map;
  // Replaces "{ebb}" in mapped commands (the cli passes its own binary path).
  std::string ebb_binary;
  // The supervisor command; the job dir is appended as the last argument.
  // The cli passes {"/proc/self/exe", "__supervise"} (exec'd from a fork of
  // the caller, so /proc/self/exe is the caller's binary). Tests pass the
  // ebb_supervisor_for_tests binary. Required.
  std::vector<std::string> supervisor_argv;
  // Stamps `created`. Must outlive the executor.
  Clock* clock = Clock::Real();
};

class LocalExecutor : public Executor {
 public:
  // InvalidArgument when data_dir or supervisor_argv is empty; Internal when
  // data_dir cannot be created.
  static absl::StatusOr<std::unique_ptr<LocalExecutor>> Create(
      LocalExecutorOptions options);

  // See executor.h. Create errors: FailedPrecondition for an unmapped image
  // without command, InvalidArgument for a spec the local executor cannot
  // run (no containers, a volumeMount naming no volume), Internal for
  // file-system or spawn failures (nothing is left behind).
  absl::StatusOr<Job> Create(const JobRequest& request) override;
  absl::StatusOr<std::vector<Job>> List(const std::string& ns,
                                        const std::string& scaled_job) override;
  absl::Status Delete(const std::string& ns, const std::string& name,
                      bool foreground) override;
  absl::StatusOr<std::string> Logs(const std::string& ns,
                                   const std::string& name,
                                   const std::string& container,
                                   int64_t max_bytes) override;

  // <data_dir>/jobs/<ns>/<name>.
  std::string JobDir(const std::string& ns, const std::string& name) const;

  // The JobFile Create would write for `request` as job `name` in `dir`
  // (containers resolved through the image map). Exposed for tests and for
  // `ebb explain`.
  absl::StatusOr<JobFile> BuildJobFile(const JobRequest& request,
                                       const std::string& name,
                                       const std::string& dir) const;

 private:
  explicit LocalExecutor(LocalExecutorOptions options);
  // Reads one job dir; nullopt when it should not be listed (hidden by a
  // background delete, removed after a delete, or unreadable).
  std::optional<Job> LoadJob(const std::string& dir);

  const LocalExecutorOptions options_;
  std::mutex mu_;  // serializes Create/Delete/List's writes
};

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_LOCAL_EXECUTOR_H_
