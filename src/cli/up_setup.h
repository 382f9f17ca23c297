// SPDX-License-Identifier: Apache-2.0
//
// File: cli/up_setup.h
//
// The pieces `ebb up` (cmd_up.cc) sets itself up with: the image mapping, the
// manifests' diagnostics, where the web UI's files are, the data directory's
// lock, the S3 credentials its jobs share, the job supervisor, and the drain
// at exit. Each is called once from RunUp's thread.
#ifndef EBB_CLI_UP_SETUP_H_
#define EBB_CLI_UP_SETUP_H_

#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "executors/executor.h"
#include "executors/local/image_map.h"
#include "scalers/scaler.h"
#include "spec/manifests.h"

namespace ebb::cli {

// The image mapping: --images, else ebb-local.yaml beside the first manifest;
// in single-node mode the built-in worker mapping is added.
absl::StatusOr<executors::local::ImageMap> LoadImageMap(const UpOptions& o);

// Logs the warnings and notes of loading the manifests.
void LogDiagnostics(const spec::LoadResult& loaded);

// Loads (or, without -f, generates the single-node ScaledJob), checks and
// stamps generations. Logs diagnostics; nullptr on errors.
std::shared_ptr<spec::Manifests> LoadForUp(
    const UpOptions& o, const scalers::ScalerRegistry& registry);

// The web UI's files: --web-root, else EBB_WEB_ROOT, else the installed tree
// (<prefix>/bin/ebb -> <prefix>/share/ebb/web), else the source tree when the
// binary is the one of this build tree (or sits at build/src/cli/ebb of a
// checkout). "" if none; `tried` lists the places looked at.
std::string FindWebRoot(const UpOptions& o, std::vector<std::string>* tried);

// One `ebb up` per data directory: two would both create jobs for the same
// ScaledJobs. FailedPrecondition naming the owner's pid when another holds
// it; the lock lasts for the life of the process.
absl::Status LockDataDir(const std::string& data_dir);

// With an s3:// store, the credentials ebb up and its workers use: flags, else
// the Secret (rootUser/rootPassword), else the AWS_* environment as it is. Sets
// them in this process's environment (the store reads AWS_*) and returns every
// AWS_* setting in *env for the jobs. Values are never logged.
absl::Status S3Credentials(const UpOptions& o, const spec::Manifests& manifests,
                           std::map<std::string, std::string>* env);

// ebb-supervise beside this binary (small: cheap to start per job), else
// `ebb __supervise`.
std::vector<std::string> SupervisorArgv(const std::string& self);

// After the controller stopped: wait until no job is unfinished, or a signal
// of `set`. Running jobs are never killed: the next `ebb up` adopts them.
void Drain(executors::Executor& executor, const sigset_t& set);

}  // namespace ebb::cli

#endif  // EBB_CLI_UP_SETUP_H_
