// SPDX-License-Identifier: Apache-2.0
// `ebb up`: controller + local executor + API for the ScaledJobs in the
// manifests.
#include <signal.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/submitter.h"
#include "cli/wiring.h"
#include "common/files.h"
#include "common/log.h"
#include "controller/controller.h"
#include "executors/local/local_executor.h"
#include "http/api_server.h"

namespace ebb::cli {
namespace {

// The image mapping: --images, else ebb-local.yaml beside the first manifest.
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
  if (path.empty()) return executors::local::ImageMap();
  auto map = executors::local::ImageMap::Load(path);
  if (map.ok()) EBB_LOG_INFO("image mapping for local runs: {}", path);
  return map;
}

// Loads, checks and stamps generations. Prints diagnostics; nullptr on errors.
std::shared_ptr<spec::Manifests> LoadForUp(
    const UpOptions& o, const scalers::ScalerRegistry& registry) {
  auto loaded = LoadAndCheck(o.files, registry);
  if (!loaded.ok()) {
    EBB_LOG_ERROR("{}", std::string(loaded.status().message()));
    return nullptr;
  }
  for (const auto& d : loaded->diagnostics) {
    if (d.severity == spec::Diagnostic::Severity::kError) {
      EBB_LOG_ERROR("{}", d.ToString());
    } else {
      EBB_LOG_WARN("{}", d.ToString());
    }
  }
  if (loaded->HasErrors()) return nullptr;
  auto manifests =
      std::make_shared<spec::Manifests>(std::move(loaded->manifests));
  for (auto& job : manifests->scaled_jobs) {
    job.generation = controller::TrackGeneration(o.data_dir, job);
  }
  return manifests;
}

// Waits for the first signal of `set`.
int WaitSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
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

}  // namespace

int RunUp(const UpOptions& in) {
  UpOptions o = in;
  if (absl::Status s = MakeDirs(o.data_dir); !s.ok()) {
    EBB_LOG_ERROR("data directory: {}", s.ToString());
    return kExitFailure;
  }
  if (o.store.empty()) o.store = o.data_dir + "/results";

  // Signals are taken synchronously by this thread; block them before any
  // thread starts so that none of ours receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  scalers::ScalerRegistry registry;
  RegisterBuiltinScalers(&registry);
  auto manifests = LoadForUp(o, registry);
  if (!manifests) return kExitFailure;
  if (manifests->scaled_jobs.empty()) {
    EBB_LOG_ERROR("no ScaledJob in {}", absl::StrJoin(o.files, ", "));
    return kExitFailure;
  }

  auto images = LoadImageMap(o);
  if (!images.ok()) {
    EBB_LOG_ERROR("{}", std::string(images.status().message()));
    return kExitFailure;
  }
  executors::local::LocalExecutorOptions exec_options;
  exec_options.data_dir = o.data_dir;
  exec_options.image_map = *images;
  exec_options.ebb_binary = o.self_binary;
  exec_options.supervisor_argv = {o.self_binary, "__supervise"};
  auto executor = executors::local::LocalExecutor::Create(exec_options);
  if (!executor.ok()) {
    EBB_LOG_ERROR("local executor: {}",
                  std::string(executor.status().message()));
    return kExitFailure;
  }

  metrics::Registry metrics;
  controller::ControllerOptions copts;
  copts.loop.extra_env["EBB_STORE"] = o.store;
  auto ctl = controller::Controller::Create(manifests, registry, **executor,
                                            metrics, copts);
  if (!ctl.ok()) {
    EBB_LOG_ERROR("{}", std::string(ctl.status().message()));
    return kExitFailure;
  }

  auto token = ApiToken(o.data_dir, true);
  if (!token.ok()) {
    EBB_LOG_ERROR("API token: {}", token.status().ToString());
    return kExitFailure;
  }
  http::ApiServerOptions api;
  std::pair<std::string, std::string> hp = absl::StrSplit(o.listen, absl::MaxSplits(':', 1));
  api.host = hp.first.empty() ? "127.0.0.1" : hp.first;
  api.port = hp.second.empty() ? 8080 : std::stoi(hp.second);
  Submitter submitter(**ctl);
  http::ApiContext ctx;
  ctx.controller = ctl->get();
  ctx.executor = executor->get();
  ctx.metrics = &metrics;
  ctx.submit = [&](const nlohmann::json& b) { return submitter.Submit(b); };
  ctx.token = *token;
  ctx.public_reads = o.public_reads;
  http::ApiServer server(ctx, api);
  if (absl::Status s = server.Start(); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitFailure;
  }
  (*ctl)->Start();
  EBB_LOG_INFO(
      "ebb up: {} ScaledJob(s), data in {}, results in {}, API http://{}:{} "
      "(token in {}/token)",
      manifests->scaled_jobs.size(), o.data_dir, o.store, api.host,
      server.port(), o.data_dir);

  while (true) {
    int sig = WaitSignal(set);
    if (sig == SIGHUP) {
      EBB_LOG_INFO("SIGHUP: reloading {}", absl::StrJoin(o.files, ", "));
      auto fresh = LoadForUp(o, registry);
      if (!fresh) {
        EBB_LOG_WARN("reload failed; keeping the manifests in force");
        continue;
      }
      if (absl::Status s = (*ctl)->Reload(fresh); !s.ok()) {
        EBB_LOG_WARN("reload failed; keeping the manifests in force: {}",
                     std::string(s.message()));
      }
      continue;
    }
    EBB_LOG_INFO("{}: stopping the scale loops; no new jobs will be created",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
    break;
  }
  (*ctl)->Stop();
  if (o.drain_wait) Drain(**executor, set);
  server.Stop();
  return kExitOk;
}

}  // namespace ebb::cli
