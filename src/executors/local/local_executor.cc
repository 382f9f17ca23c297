// SPDX-License-Identifier: Apache-2.0
#include "executors/local/local_executor.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/names.h"
#include "common/status.h"
#include "executors/local/process.h"

namespace ebb::executors::local {
namespace fs = std::filesystem;

LocalExecutor::LocalExecutor(LocalExecutorOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<LocalExecutor>> LocalExecutor::Create(
    LocalExecutorOptions options) {
  if (options.data_dir.empty())
    return absl::InvalidArgumentError("LocalExecutor: data_dir is empty");
  if (options.supervisor_argv.empty())
    return absl::InvalidArgumentError(
        "LocalExecutor: supervisor_argv is empty");
  if (options.clock == nullptr) options.clock = Clock::Real();
  EBB_RETURN_IF_ERROR(MakeDirs(options.data_dir + "/jobs"));
  return std::unique_ptr<LocalExecutor>(new LocalExecutor(std::move(options)));
}

std::string LocalExecutor::JobDir(const std::string& ns,
                                  const std::string& name) const {
  return absl::StrCat(options_.data_dir, "/jobs/", ns, "/", name);
}

absl::StatusOr<Job> LocalExecutor::Create(const JobRequest& request) {
  if (request.scaled_job.empty() || request.namespace_.empty() ||
      request.scaled_job.find('/') != std::string::npos ||
      request.namespace_.find('/') != std::string::npos)
    return absl::InvalidArgumentError(
        "JobRequest needs a scaled_job and namespace_ without '/'");
  std::lock_guard<std::mutex> lock(mu_);
  std::string ns_dir =
      absl::StrCat(options_.data_dir, "/jobs/", request.namespace_);
  EBB_RETURN_IF_ERROR(MakeDirs(ns_dir));
  std::string name, dir;
  for (int attempt = 0;; ++attempt) {
    name = absl::StrCat(request.scaled_job, "-", RandomSuffix(5));
    dir = JobDir(request.namespace_, name);
    // 0700: job.json holds resolved (secret) env values.
    if (::mkdir(dir.c_str(), 0700) == 0) break;
    if (errno != EEXIST || attempt >= 10)
      return absl::InternalError(
          absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
  }
  auto fail = [&dir](absl::Status s) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return s;
  };
  auto jf = BuildJobFile(request, name, dir);
  if (!jf.ok()) return fail(jf.status());
  StateFile st = InitialState(*jf);
  if (absl::Status s = WriteJobFile(dir, *jf); !s.ok()) return fail(s);
  if (absl::Status s = WriteStateFile(dir, st); !s.ok()) return fail(s);
  std::vector<std::string> argv = options_.supervisor_argv;
  argv.push_back(dir);
  auto pid = SpawnDetached(argv, dir + "/supervisor.log");
  if (!pid.ok())
    return fail(Annotate(pid.status(), "starting the job supervisor"));
  // The supervisor writes the same file itself; writing it here too closes
  // the window in which a dead supervisor would go unnoticed. If it is already
  // gone, its own record stands.
  if (auto start = ProcessStartTime(*pid); start.ok()) {
    if (absl::Status s = WriteSupervisorFile(dir, {*pid, *start}); !s.ok())
      EBB_LOG_WARN("job {}: {}", name, s.ToString());
  }
  EBB_LOG_INFO("created job {}/{} (supervisor pid {})", request.namespace_,
               name, *pid);
  return MakeJob(*jf, st);
}

namespace {

// Create writes supervisor.json right after spawning the supervisor (which
// writes it too); a job without one this long after its creation never got a
// supervisor: `ebb up` died between writing the job's files and the spawn.
// (Other processes may List mid-Create, hence the margin.)
constexpr absl::Duration kSupervisorStartGrace = absl::Seconds(30);

}  // namespace

std::optional<Job> LocalExecutor::LoadJob(const std::string& dir) {
  auto jf = ReadJobFile(dir);
  if (!jf.ok()) return std::nullopt;
  auto st = ReadStateFile(dir);
  StateFile state = st.ok() ? *st : InitialState(*jf);
  auto marker = ReadFile(DeleteMarkerPath(dir));
  auto sup = ReadSupervisorFile(dir);
  bool alive = sup.ok() && ProcessAlive(sup->pid, sup->start_time);
  bool finished =
      state.state == JobState::kSucceeded || state.state == JobState::kFailed;
  // Without this, such a job stays pending for ever and, counted as pending,
  // keeps the ScaledJob from creating the jobs its queue needs.
  const bool never_started =
      !finished && absl::IsNotFound(sup.status()) &&
      options_.clock->Now() - jf->created > kSupervisorStartGrace;
  if (marker.ok()) {
    if (!alive || finished) {
      std::error_code ec;
      fs::remove_all(dir, ec);
      return std::nullopt;
    }
    if (absl::StripAsciiWhitespace(*marker) == "background")
      return std::nullopt;
    Job j = MakeJob(*jf, state);
    j.deleting = true;
    return j;
  }
  if (!finished && ((sup.ok() && !alive) || never_started)) {
    // It may have written its final state just before exiting: re-read.
    if (auto again = ReadStateFile(dir); again.ok()) state = *again;
    if (state.state != JobState::kSucceeded &&
        state.state != JobState::kFailed) {
      state.state = JobState::kFailed;
      state.reason = "SupervisorLost";
      state.message =
          sup.ok() ? absl::StrCat("the job's supervisor process (pid ",
                                  sup->pid, ") is gone")
                   : "the job's supervisor never started (ebb up stopped "
                     "while creating the job)";
      state.finished = options_.clock->Now();
      for (ContainerStatus& c : state.containers) {
        c.ready = false;
        if (c.state == "running" || c.state == "waiting")
          c.state = "terminated";
      }
      if (absl::Status s = WriteStateFile(dir, state); !s.ok())
        EBB_LOG_WARN("job {}: {}", jf->name, s.ToString());
      EBB_LOG_WARN("job {}/{}: failed, SupervisorLost: {}", jf->namespace_,
                   jf->name, state.message);
    }
  }
  return MakeJob(*jf, state);
}

absl::StatusOr<std::vector<Job>> LocalExecutor::List(
    const std::string& ns, const std::string& scaled_job) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ns_dirs;
  std::string root = options_.data_dir + "/jobs";
  std::error_code ec;
  if (!ns.empty()) {
    ns_dirs.push_back(absl::StrCat(root, "/", ns));
  } else {
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.is_directory()) ns_dirs.push_back(e.path().string());
    if (ec)
      return absl::InternalError(
          absl::StrCat("listing ", root, ": ", ec.message()));
  }
  std::vector<Job> out;
  for (const std::string& nd : ns_dirs) {
    std::error_code ec2;
    if (!fs::exists(nd, ec2)) continue;
    std::vector<std::string> dirs;
    for (const auto& e : fs::directory_iterator(nd, ec2))
      if (e.is_directory()) dirs.push_back(e.path().string());
    if (ec2)
      return absl::InternalError(
          absl::StrCat("listing ", nd, ": ", ec2.message()));
    for (const std::string& d : dirs) {
      std::optional<Job> j = LoadJob(d);
      if (!j) continue;
      if (!scaled_job.empty() && j->scaled_job != scaled_job) continue;
      out.push_back(std::move(*j));
    }
  }
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    if (a.created != b.created) return a.created < b.created;
    return a.name < b.name;
  });
  return out;
}

absl::Status LocalExecutor::Delete(const std::string& ns,
                                   const std::string& name, bool foreground) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir = JobDir(ns, name);
  std::error_code ec;
  if (name.empty() || name.find('/') != std::string::npos ||
      !fs::exists(JobJsonPath(dir), ec))
    return absl::NotFoundError(absl::StrCat("job ", ns, "/", name));
  auto st = ReadStateFile(dir);
  bool finished = st.ok() && (st->state == JobState::kSucceeded ||
                              st->state == JobState::kFailed);
  auto sup = ReadSupervisorFile(dir);
  bool alive = sup.ok() && ProcessAlive(sup->pid, sup->start_time);
  if (finished || !alive) {
    fs::remove_all(dir, ec);
    if (ec)
      return absl::InternalError(
          absl::StrCat("removing ", dir, ": ", ec.message()));
    return absl::OkStatus();
  }
  EBB_RETURN_IF_ERROR(WriteFileAtomic(
      DeleteMarkerPath(dir), foreground ? "foreground\n" : "background\n"));
  if (::kill(sup->pid, SIGTERM) != 0 && errno != ESRCH)
    return absl::InternalError(absl::StrCat("signalling supervisor of job ",
                                            name, ": ", std::strerror(errno)));
  EBB_LOG_INFO("deleting job {}/{} ({})", ns, name,
               foreground ? "foreground" : "background");
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalExecutor::Logs(const std::string& ns,
                                                const std::string& name,
                                                const std::string& container,
                                                int64_t max_bytes) {
  // Every name becomes a path: Kubernetes' rules keep them inside jobs/.
  EBB_RETURN_IF_ERROR(ValidateDns1123Label(ns, "namespace"));
  EBB_RETURN_IF_ERROR(ValidateDns1123Subdomain(name, "job name"));
  if (!container.empty()) {
    EBB_RETURN_IF_ERROR(ValidateDns1123Label(container, "container"));
  }
  std::string dir = JobDir(ns, name);
  auto jf = ReadJobFile(dir);
  if (!jf.ok()) return absl::NotFoundError(absl::StrCat("job ", ns, "/", name));
  std::string c = container;
  if (c.empty() && !jf->containers.empty()) c = jf->containers.front().name;
  bool known = std::any_of(jf->containers.begin(), jf->containers.end(),
                           [&](const ContainerSpec& s) { return s.name == c; });
  if (!known)
    return absl::NotFoundError(
        absl::StrCat("job ", ns, "/", name, " has no container \"", c, "\""));
  // A crafted job.json may name any container: check it too, and read the log
  // without following a link out of the job's directory.
  EBB_RETURN_IF_ERROR(ValidateDns1123Label(c, "container"));
  auto log = ReadFileUnderRoot(dir, absl::StrCat("logs/", c, ".log"),
                               max_bytes < 0 ? -1 : max_bytes);
  if (absl::IsNotFound(log.status())) return std::string();  // no output yet
  return log;
}

}  // namespace ebb::executors::local
