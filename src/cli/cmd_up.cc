// SPDX-License-Identifier: Apache-2.0
// `ebb up`: controller + local executor + embedded queue + API and web UI.
// Without -f it runs the single-node product (cli/single_node.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/bundled_model.h"
#include "cli/commands.h"
#include "cli/single_node.h"
#include "cli/submitter.h"
#include "cli/up_events.h"
#include "cli/wiring.h"
#include "common/files.h"
#include "common/log.h"
#include "controller/controller.h"
#include "executors/local/local_executor.h"
#include "http/api_server.h"
#include "http/events.h"
#include "http/job_watcher.h"
#include "http/results_watcher.h"
#include "queue/embedded/embedded_queue.h"
#include "storage/object_store.h"

namespace ebb::cli {
namespace {

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
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path self = fs::weakly_canonical(o.self_binary, ec);
  const fs::path bin = self.parent_path();
  std::vector<fs::path> candidates = {bin / ".." / EBB_INSTALL_WEB_DIR};
  const std::string build_dir = EBB_BUILD_DIR;
  if (self.string().rfind(build_dir + "/", 0) == 0) {
    candidates.push_back(EBB_SOURCE_WEB_DIR);
  }
  candidates.push_back(bin / "../../../web");
  for (const auto& candidate : candidates) {
    const fs::path dir = fs::weakly_canonical(candidate, ec);
    tried->push_back(dir.string());
    if (fs::exists(dir / "index.html", ec)) return dir.string();
  }
  return "";
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

}  // namespace

int RunUp(const UpOptions& in) {
  UpOptions o = in;
  http::ApiServerOptions api;
  std::pair<std::string, std::string> hp =
      absl::StrSplit(o.listen, absl::MaxSplits(':', 1));
  api.host = hp.first.empty() ? "127.0.0.1" : hp.first;
  api.port = std::atoi(hp.second.c_str());
  if (api.port <= 0 || api.port > 65535) {
    EBB_LOG_ERROR("--listen {}: expected HOST:PORT with a port from 1 to 65535",
                  o.listen);
    return kExitUsage;
  }
  api.insecure_listen = o.insecure_listen;
  if (absl::Status s = http::CheckListenHost(api.host, o.insecure_listen);
      !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitUsage;
  }
  if (o.insecure_listen && !http::CheckListenHost(api.host, false).ok()) {
    EBB_LOG_WARN(
        "--insecure-listen: the API on {} speaks plain HTTP; its token is "
        "readable by anyone on the network path",
        api.host);
  }
  if (absl::Status s = MakeDirs(o.data_dir); !s.ok()) {
    EBB_LOG_ERROR("data directory: {}", s.ToString());
    return kExitFailure;
  }
  if (absl::Status s = LockDataDir(o.data_dir); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitFailure;
  }
  if (o.store.empty()) o.store = o.data_dir + "/results";

  // Signals are taken synchronously by this thread; block them before any
  // thread starts so that none of ours receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // A shell starts background jobs with SIGINT ignored; an ignored signal is
  // discarded even while blocked, so restore the defaults before sigwait.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  queue::embedded::EmbeddedQueueOptions qopts;
  qopts.path = o.data_dir + "/queue.db";
  auto embedded = queue::embedded::EmbeddedQueue::Open(qopts);
  if (!embedded.ok()) {
    EBB_LOG_ERROR("embedded queue: {}",
                  std::string(embedded.status().message()));
    return kExitFailure;
  }
  scalers::ScalerRegistry registry;
  RegisterBuiltinScalers(&registry, embedded->get());
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
  exec_options.supervisor_argv = SupervisorArgv(o.self_binary);
  auto executor = executors::local::LocalExecutor::Create(exec_options);
  if (!executor.ok()) {
    EBB_LOG_ERROR("local executor: {}",
                  std::string(executor.status().message()));
    return kExitFailure;
  }
  std::map<std::string, std::string> store_env;
  if (absl::Status s = S3Credentials(o, *manifests, &store_env); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitUsage;
  }
  auto store = storage::OpenObjectStore(o.store);
  if (!store.ok()) {
    EBB_LOG_ERROR("object store: {}", std::string(store.status().message()));
    return kExitFailure;
  }
  // The token: EBB_TOKEN, else --token-file, else DATA_DIR/token (created at
  // first start, when it is printed once).
  const std::string token_path =
      o.token_file.empty() ? o.data_dir + "/token" : o.token_file;
  const char* env_token = std::getenv("EBB_TOKEN");
  const bool have_env_token = env_token && *env_token;
  const bool first_start =
      !have_env_token && !std::filesystem::exists(token_path);
  absl::StatusOr<std::string> token =
      have_env_token ? absl::StatusOr<std::string>(std::string(env_token))
                     : ApiTokenFile(token_path, true);
  if (!token.ok()) {
    EBB_LOG_ERROR("API token: {}", token.status().ToString());
    return kExitFailure;
  }

  metrics::Registry metrics;
  http::EventHub hub;
  controller::ControllerOptions copts;
  const std::string api_url = absl::StrCat("http://", api.host, ":", api.port);
  copts.loop.extra_env = {{"EBB_STORE", o.store},
                          {"EBB_QUEUE_URL", api_url},
                          {"EBB_TOKEN", *token}};
  // Workers write to the same store with the same credentials.
  for (const auto& [k, v] : store_env) copts.loop.extra_env[k] = v;
  for (const std::string& kv : o.worker_env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      EBB_LOG_ERROR("--worker-env {}: expected KEY=VALUE", kv);
      return kExitUsage;
    }
    copts.loop.extra_env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  copts.on_poll = [&hub](const std::string& name,
                         const controller::PollRecord& r) {
    PublishDecision(hub, name, r);
  };
  auto ctl = controller::Controller::Create(manifests, registry, **executor,
                                            metrics, copts);
  if (!ctl.ok()) {
    EBB_LOG_ERROR("{}", std::string(ctl.status().message()));
    return kExitFailure;
  }
  // Live events from what the worker stores and the broker reports, in every
  // mode. With the embedded queue its listener already publishes request and
  // queue events (with "running" and leases, which only it knows); the
  // watcher adds new images. With an external broker (RabbitMQ) the watcher
  // publishes request endings from the records and the queue's depth.
  auto broker = ResolveBrokerTarget(*manifests, "");
  const bool embedded_mode = broker.ok() && broker->embedded();
  http::ResultsWatcherOptions wopts;
  wopts.request_events = !embedded_mode;
  // Listing an S3 bucket costs a request per 1,000 keys: poll it less often.
  wopts.interval = o.store.rfind("s3://", 0) == 0 ? absl::Seconds(2)
                                                  : absl::Milliseconds(500);
  if (!embedded_mode && broker.ok()) {
    wopts.work_queue = broker->queue;
    wopts.open_queue = DeadLetterQueueOpener(**ctl, embedded->get());
  }
  wopts.metrics = &metrics;
  http::ResultsWatcher results(**store, hub, wopts);
  (*embedded)->SetListener(QueueEventForwarder(hub, **ctl, **embedded, **store,
                                               [&results] { results.Wake(); }));

  Submitter submitter(**ctl, embedded->get(), store->get());
  http::ApiContext ctx;
  ctx.controller = ctl->get();
  ctx.executor = executor->get();
  ctx.metrics = &metrics;
  ctx.store = store->get();
  ctx.embedded_queue = embedded->get();
  ctx.events = &hub;
  ctx.submit = [&](const nlohmann::json& b) {
    auto ids = submitter.Submit(b);
    if (ids.ok() && !embedded_mode) {
      // The embedded queue announces its own publishes; a broker does not.
      for (const auto& id : *ids)
        hub.Publish("request", {{"id", id}, {"status", "queued"}});
      results.Wake();  // the queue's depth changed
    }
    return ids;
  };
  ctx.open_queue = DeadLetterQueueOpener(**ctl, embedded->get());
  if (broker.ok()) ctx.work_queue = broker->queue;
  ctx.token = *token;
  {
    auto named = copts.loop.extra_env.find("EBB_MODEL");
    ctx.model_info = DescribeModel(
        named == copts.loop.extra_env.end() ? "" : named->second);
    EBB_LOG_INFO("jobs serve model {} unless their manifest names another",
                 ctx.model_info["model"].get<std::string>());
  }
  ctx.public_reads = o.public_reads;
  ctx.cors_origin = o.cors_origin;
  std::vector<std::string> tried;
  ctx.web_root = FindWebRoot(o, &tried);
  if (ctx.web_root.empty()) {
    EBB_LOG_WARN(
        "no web UI files found (looked in {}): the API works, the UI does not. "
        "Install ebb (cmake --install) or pass --web-root DIR / EBB_WEB_ROOT",
        absl::StrJoin(tried, ", "));
  } else {
    EBB_LOG_INFO("web UI files from {}", ctx.web_root);
  }
  results.Start();
  http::ApiServer server(ctx, api);
  if (absl::Status s = server.Start(); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitFailure;
  }
  http::JobWatcher watcher(**executor, hub);
  // A finished job frees a slot: poll its ScaledJob now rather than at the next
  // interval (ebb's wake-up; KEDA waits for pollingInterval).
  watcher.OnFinished(
      [&ctl](const executors::Job& job) { (*ctl)->Wake(job.scaled_job); });
  watcher.Start();
  (*ctl)->Start();
  EBB_LOG_INFO("ebb up: {} ScaledJob(s); data in {}; results in {}",
               manifests->scaled_jobs.size(), o.data_dir, o.store);
  if (first_start) {
    // The token is printed once, at first start; afterwards it is in the file.
    std::cerr << "\n  Open the web UI: " << api_url << "/login?token=" << *token
              << "\n\n";
  } else {
    std::cerr << "\n  Web UI: " << api_url
              << "/login?token=... (the token is in "
              << (have_env_token ? std::string("EBB_TOKEN") : token_path)
              << ")\n\n";
  }

  while (true) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      if (o.files.empty()) {
        EBB_LOG_INFO("SIGHUP: single-node mode has no manifests to reload");
        continue;
      }
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
  watcher.Stop();
  results.Stop();
  hub.Close();
  server.Stop();
  return kExitOk;
}

}  // namespace ebb::cli
