// SPDX-License-Identifier: Apache-2.0
#include "cli/up_setup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cli/shipped_dir.h"
#include "cli/single_node.h"
#include "cli/wiring.h"
#include "common/log.h"
#include "controller/controller.h"

namespace ebb::cli {

// The image mapping: --images, else ebb-local.yaml beside the first manifest;
// in single-node mode the built-in worker mapping is added.
absl::StatusOr<executors::local::ImageMap> LoadImageMap(const UpOptions& o) {
  std::string path = o.images;
  if (path.empty() && !o.files.empty()) {
    std::filesystem::path first(o.files[0]);
    std::filesystem::path dir =
        std::filesystem::is_directory(first) ? first : first.parent_path();
    auto candidate = (dir.empty() ? std::filesystem::path(".") : dir) /
                     spec::kLocalConfigFile;
    if (std::filesystem::exists(candidate)) path = candidate.string();
  }
  executors::local::ImageMap map;
  if (!path.empty()) {
    auto loaded = executors::local::ImageMap::Load(path);
    if (!loaded.ok()) return loaded.status();
    EBB_LOG_INFO("image mapping for local runs: {}", path);
    map = std::move(loaded).value();
  }
  if (o.files.empty()) map.Add(SingleNodeWorkerMapping());
  return map;
}

void LogDiagnostics(const spec::LoadResult& loaded) {
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == spec::Diagnostic::Severity::kError) {
      EBB_LOG_ERROR("{}: {}", d.location.ToString(), d.message);
    } else {
      EBB_LOG_WARN("{}: {}", d.location.ToString(), d.message);
    }
  }
}

// Loads (or, without -f, generates), checks and stamps generations. Logs
// diagnostics; nullptr on errors.
std::shared_ptr<spec::Manifests> LoadForUp(
    const UpOptions& o, const scalers::ScalerRegistry& registry) {
  spec::LoadResult loaded;
  if (o.files.empty()) {
    const int gpus = CountGpus();
    const int max_jobs =
        o.max_jobs > 0 ? o.max_jobs : (gpus > 0 ? gpus : kCpuDefaultMaxJobs);
    EBB_LOG_INFO(
        "single-node mode: ScaledJob ebb-worker on the embedded queue, at most "
        "{} "
        "job(s) ({})",
        max_jobs,
        o.max_jobs > 0 ? "--max-jobs"
        : gpus > 0     ? absl::StrCat(gpus, " GPU(s) found")
                       : "no GPU found: CPU default");
    spec::ParseManifests(SingleNodeManifest(max_jobs),
                         "(built-in single-node ScaledJob)", &loaded);
    for (auto& job : loaded.manifests.scaled_jobs)
      spec::NormalizeScaledJob(&job);
    spec::ValidateManifests(&loaded);
  } else {
    auto result = LoadAndCheck(o.files, registry);
    if (!result.ok()) {
      EBB_LOG_ERROR("{}", std::string(result.status().message()));
      return nullptr;
    }
    loaded = std::move(result).value();
  }
  LogDiagnostics(loaded);
  if (loaded.HasErrors()) return nullptr;
  auto manifests =
      std::make_shared<spec::Manifests>(std::move(loaded.manifests));
  for (auto& job : manifests->scaled_jobs) {
    job.generation = controller::TrackGeneration(o.data_dir, job);
  }
  return manifests;
}

// The web UI's files: --web-root, else EBB_WEB_ROOT, else the installed tree
// (<prefix>/bin/ebb -> <prefix>/share/ebb/web), else the source tree when the
// binary is the one of this build tree (or sits at build/src/cli/ebb of a
// checkout). "" if none; `tried` lists the places looked at.
std::string FindWebRoot(const UpOptions& o, std::vector<std::string>* tried) {
  if (!o.web_root.empty()) return o.web_root;
  if (const char* env = std::getenv("EBB_WEB_ROOT"); env && *env) return env;
  std::error_code ec;
  return FindShippedDir(std::filesystem::weakly_canonical(o.self_binary, ec),
                        {.install_rel = EBB_INSTALL_WEB_DIR,
                         .source_dir = EBB_SOURCE_WEB_DIR,
                         .build_dir = EBB_BUILD_DIR,
                         .checkout_rel = "web",
                         .marker = "index.html"},
                        tried);
}

// One `ebb up` per data directory: two would both create jobs for the same
// ScaledJobs. The lock (flock, released when the process dies, not inherited by
// jobs) holds the owner's pid for the error message.
absl::Status LockDataDir(const std::string& data_dir) {
  const std::string path = data_dir + "/ebb-up.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("another ebb up (pid ",
                     n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?",
                     ") is using the data directory ", data_dir,
                     "; stop it, or give this one another --data-dir"));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    EBB_LOG_WARN("cannot write the pid to {}", path);
  }
  return absl::OkStatus();  // fd stays open for the life of the process
}

// With an s3:// store, the credentials ebb up and its workers use: flags, else
// the Secret (rootUser/rootPassword), else the AWS_* environment as it is. Sets
// them in this process's environment (the store reads AWS_*) and returns every
// AWS_* setting in *env for the jobs. Values are never logged.
absl::Status S3Credentials(const UpOptions& o, const spec::Manifests& manifests,
                           std::map<std::string, std::string>* env) {
  if (o.store.rfind("s3://", 0) != 0) return absl::OkStatus();
  std::string id = o.s3_access_key_id, secret = o.s3_secret_access_key,
              source = "flags";
  if (id.empty() || secret.empty()) {
    const std::string name = o.s3_secret.empty() ? "minio" : o.s3_secret;
    const spec::Secret* found = nullptr;
    for (const auto& s : manifests.secrets) {
      if (s.name == name) found = &s;
    }
    if (found) {
      auto user = found->data.find("rootUser");
      auto pass = found->data.find("rootPassword");
      if (user == found->data.end() || pass == found->data.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Secret ", name,
            " has no rootUser and rootPassword keys for the S3 store"));
      }
      id = user->second;
      secret = pass->second;
      source = "Secret " + name;
    } else if (!o.s3_secret.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--s3-secret ", name, ": no such Secret in the manifests"));
    } else {
      source = "the AWS_* environment";
    }
  }
  if (!id.empty() && !secret.empty()) {
    ::setenv("AWS_ACCESS_KEY_ID", id.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", secret.c_str(), 1);
  }
  for (const char* k :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"}) {
    if (const char* v = std::getenv(k); v && *v) (*env)[k] = v;
  }
  EBB_LOG_INFO("S3 store credentials from {}", source);
  return absl::OkStatus();
}

// ebb-supervise beside this binary (small: cheap to start per job), else
// `ebb __supervise`.
std::vector<std::string> SupervisorArgv(const std::string& self) {
  const std::filesystem::path small =
      std::filesystem::path(self).parent_path() / "ebb-supervise";
  std::error_code ec;
  if (std::filesystem::exists(small, ec)) return {small.string()};
  return {self, "__supervise"};
}

// After the controller stopped: wait until no job is unfinished, or a second
// signal. Running jobs are never killed: the next `ebb up` adopts them.
void Drain(executors::Executor& executor, const sigset_t& set) {
  int last_reported = -1;
  while (true) {
    auto jobs = executor.List("", "");
    int unfinished = 0;
    if (jobs.ok()) {
      for (const auto& j : *jobs) unfinished += j.Finished() ? 0 : 1;
    }
    if (jobs.ok() && unfinished == 0) {
      EBB_LOG_INFO("drained: no job running");
      return;
    }
    if (unfinished != last_reported) {
      EBB_LOG_INFO(
          "draining: {} job(s) still running; no new jobs are created. Press "
          "Ctrl-C again to "
          "exit now (jobs keep running; the next `ebb up` adopts them)",
          unfinished);
      last_reported = unfinished;
    }
    timespec timeout{0, 250 * 1000 * 1000};
    if (sigtimedwait(&set, nullptr, &timeout) > 0) {
      EBB_LOG_INFO("exiting without waiting: {} job(s) keep running",
                   unfinished);
      return;
    }
  }
}

}  // namespace ebb::cli
