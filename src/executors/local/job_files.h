// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/job_files.h
//
// The on-disk contract between LocalExecutor (in `ebb up`) and the job's
// supervisor process. One directory per job, <data_dir>/jobs/<ns>/<job>/:
//
//   job.json         JobFile: everything the supervisor needs, written once by
//                    Create (holds resolved env, so the directory is 0700)
//   state.json       StateFile: rewritten atomically by the supervisor on every
//                    change (Create writes the first, pending, one; List may
//                    write a final SupervisorLost one after the supervisor
//                    died)
//   supervisor.json  SupervisorFile: pid + process start time of the supervisor
//   delete           marker written by Delete: "foreground" or "background"
//   supervisor.log   the supervisor's own stderr
//   logs/<c>.log     stdout+stderr of container <c>
//   termination/<c>  container <c>'s termination message (Kubernetes'
//                    terminationMessagePath; the container finds the path in
//                    EBB_TERMINATION_MESSAGE_PATH): `ebb worker` writes its
//                    request outcome there; the supervisor stores its first
//                    4096 bytes in the container status when <c> exits
//   volumes/<v>/     emptyDir volume <v>
//
// Times are RFC 3339 strings with fractional seconds; absent = unset.
// Functions are thread-compatible; files are replaced atomically so readers
// in other processes never see a torn file.
#ifndef EBB_EXECUTORS_LOCAL_JOB_FILES_H_
#define EBB_EXECUTORS_LOCAL_JOB_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "executors/executor.h"

namespace ebb::executors::local {

enum class Readiness { kStarted, kNotify, kProbe };
std::string ReadinessName(Readiness r);  // "started", "notify", "probe"

struct ProbeSpec {
  std::vector<std::string> argv;
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
};

struct MountSpec {
  std::string volume;
  std::string mount_path;  // where the container expects it
  std::string host_path;   // <job>/volumes/<volume>
  bool read_only = false;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  bool skip = false;              // mapped `skip: true`: never started
  std::vector<std::string> argv;  // argv[0] is a path or searched in PATH
  // Container env (resolved), then image-map env, then ebb's extra env; the
  // supervisor adds PATH/HOME/LANG/TMPDIR below it and EBB_READY_FD above.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;
  std::vector<MountSpec> mounts;
  Readiness readiness = Readiness::kStarted;
  std::optional<ProbeSpec> probe;  // when readiness == kProbe
};

struct JobFile {
  std::string name;
  std::string namespace_;
  std::string scaled_job;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  absl::Time created = absl::InfinitePast();
  std::string restart_policy = "OnFailure";  // or "Never"
  int32_t backoff_limit = 6;
  std::optional<int64_t> active_deadline_seconds;
  int64_t termination_grace_period_seconds = 30;
  std::vector<ContainerSpec> containers;
};

// The status part of a Job (what state.json holds).
struct StateFile {
  JobState state = JobState::kPending;
  absl::Time created = absl::InfinitePast();
  absl::Time started = absl::InfinitePast();
  absl::Time ready = absl::InfinitePast();
  absl::Time finished = absl::InfinitePast();
  std::string reason;
  std::string message;
  int failed_attempts = 0;
  std::vector<ContainerStatus> containers;
};

struct SupervisorFile {
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22, clock ticks
};

inline std::string JobJsonPath(const std::string& dir) {
  return dir + "/job.json";
}
inline std::string StateJsonPath(const std::string& dir) {
  return dir + "/state.json";
}
inline std::string SupervisorJsonPath(const std::string& dir) {
  return dir + "/supervisor.json";
}
inline std::string DeleteMarkerPath(const std::string& dir) {
  return dir + "/delete";
}
inline std::string LogPath(const std::string& dir, const std::string& c) {
  return dir + "/logs/" + c + ".log";
}
inline std::string TerminationMessagePath(const std::string& dir,
                                          const std::string& c) {
  return dir + "/termination/" + c;
}

// Write* replace the file atomically. Read* return NotFound when the file is
// missing and DataLoss when it does not parse.
absl::Status WriteJobFile(const std::string& dir, const JobFile& job);
absl::StatusOr<JobFile> ReadJobFile(const std::string& dir);
absl::Status WriteStateFile(const std::string& dir, const StateFile& state);
absl::StatusOr<StateFile> ReadStateFile(const std::string& dir);
absl::Status WriteSupervisorFile(const std::string& dir,
                                 const SupervisorFile& sup);
absl::StatusOr<SupervisorFile> ReadSupervisorFile(const std::string& dir);

// The first StateFile of a job: pending, every container waiting (or
// skipped).
StateFile InitialState(const JobFile& job);

// A Job record from the two files.
Job MakeJob(const JobFile& job, const StateFile& state);

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_JOB_FILES_H_
