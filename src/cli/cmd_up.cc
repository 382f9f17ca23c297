// SPDX-License-Identifier: Apache-2.0
// `ebb up`: controller + local executor + embedded queue + API and web UI.
// Without -f it runs the single-node product (cli/single_node.h); with
// --kubernetes its Jobs run on a cluster (cli/up_cluster.h).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/bundled_model.h"
#include "cli/commands.h"
#include "cli/jobs_model.h"
#include "cli/single_node.h"
#include "cli/submitter.h"
#include "cli/up_cluster.h"
#include "cli/up_events.h"
#include "cli/up_setup.h"
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
  // Cluster mode: the Jobs are batch/v1 Jobs; without -f the ScaledJobs are
  // the cluster's.
  std::unique_ptr<ClusterUp> cluster;
  // Leader election (cluster mode): made once the controller exists; the
  // API reads it through ctx.leader_election.
  std::unique_ptr<executors::kubernetes::KubeClient> lease_client;
  std::unique_ptr<executors::kubernetes::LeaderElector> elector;
  std::atomic<executors::kubernetes::LeaderElector*> elector_ptr{nullptr};
  std::unique_ptr<executors::local::LocalExecutor> local;
  executors::Executor* executor = nullptr;
  std::shared_ptr<const spec::Manifests> manifests;
  executors::local::ImageMap local_images;  // local mode only
  if (o.kubernetes) {
    auto up = SetUpCluster(o, registry);
    if (!up.ok()) {
      EBB_LOG_ERROR("{}", std::string(up.status().message()));
      return kExitFailure;
    }
    cluster = std::move(up).value();
    executor = cluster->executor.get();
    manifests = cluster->manifests;
  } else {
    manifests = LoadForUp(o, registry);
    if (!manifests) return kExitFailure;
  }
  if (manifests->scaled_jobs.empty() && !(cluster && cluster->binding)) {
    EBB_LOG_ERROR("no ScaledJob in {}", absl::StrJoin(o.files, ", "));
    return kExitFailure;
  }
  if (!cluster) {
    auto images = LoadImageMap(o);
    if (!images.ok()) {
      EBB_LOG_ERROR("{}", std::string(images.status().message()));
      return kExitFailure;
    }
    executors::local::LocalExecutorOptions exec_options;
    exec_options.data_dir = o.data_dir;
    exec_options.image_map = *images;
    local_images = *images;
    exec_options.ebb_binary = o.self_binary;
    exec_options.supervisor_argv = SupervisorArgv(o.self_binary);
    auto created = executors::local::LocalExecutor::Create(exec_options);
    if (!created.ok()) {
      EBB_LOG_ERROR("local executor: {}",
                    std::string(created.status().message()));
      return kExitFailure;
    }
    local = std::move(created).value();
    executor = local.get();
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
  // Local jobs learn where ebb's queue and store are; Kubernetes Jobs get
  // nothing beyond their jobTargetRef (KEDA injects nothing).
  if (!cluster) {
    copts.loop.extra_env = {{"EBB_STORE", o.store},
                            {"EBB_QUEUE_URL", api_url},
                            {"EBB_TOKEN", *token}};
  }
  // Workers write to the same store with the same credentials.
  for (const auto& [k, v] : store_env) {
    if (!cluster) copts.loop.extra_env[k] = v;
  }
  if (cluster && !o.worker_env.empty()) {
    EBB_LOG_WARN(
        "--worker-env is ignored with --kubernetes: a Job's env is "
        "its jobTargetRef's");
  }
  for (const std::string& kv : o.worker_env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      EBB_LOG_ERROR("--worker-env {}: expected KEY=VALUE", kv);
      return kExitUsage;
    }
    copts.loop.extra_env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  ClusterBinding* binding = cluster ? cluster->binding.get() : nullptr;
  copts.on_poll = [&hub, binding](const std::string& name,
                                  const controller::PollRecord& r) {
    PublishDecision(hub, name, r);
    if (binding != nullptr) binding->OnPoll(name, r);
  };
  auto ctl = controller::Controller::Create(manifests, registry, *executor,
                                            metrics, copts);
  if (!ctl.ok()) {
    EBB_LOG_ERROR("{}", std::string(ctl.status().message()));
    return kExitFailure;
  }
  if (cluster) cluster->controller = ctl->get();
  if (binding != nullptr) {
    if (absl::Status s = binding->Attach(ctl->get()); !s.ok()) {
      EBB_LOG_ERROR("{}", std::string(s.message()));
    }
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
  ctx.executor = executor;
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
  if (cluster) {  // a cluster's Jobs run whatever their image holds
    auto named = copts.loop.extra_env.find("EBB_MODEL");
    ctx.model_info =
        DescribeModel(named == copts.loop.extra_env.end() ? "" : named->second);
  } else {
    // What the default ScaledJob's workers will load (requests go there).
    ctx.model_info = DescribeModel(ModelNamedForJobs(
        manifests->scaled_jobs.front(), local_images, copts.loop.extra_env));
    EBB_LOG_INFO("jobs of ScaledJob {} serve model {}",
                 manifests->scaled_jobs.front().name,
                 ctx.model_info["model"].get<std::string>());
  }
  ctx.public_reads = o.public_reads;
  ctx.public_metrics = o.public_metrics;
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
  if (cluster && o.leader_elect) {
    ctx.leader_election = [&elector_ptr] {
      const executors::kubernetes::LeaderElector* e = elector_ptr.load();
      if (e == nullptr) return nlohmann::json{{"isLeader", false}};
      return nlohmann::json{{"identity", e->identity()},
                            {"leader", e->CurrentLeader()},
                            {"isLeader", e->IsLeader()},
                            {"lease", e->Describe()}};
    };
  }
  http::ApiServer server(ctx, api);
  if (absl::Status s = server.Start(); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitFailure;
  }
  http::JobWatcher watcher(*executor, hub);
  // A finished job frees a slot: poll its ScaledJob now rather than at the next
  // interval (ebb's wake-up; KEDA waits for pollingInterval).
  watcher.OnFinished(
      [&ctl](const executors::Job& job) { (*ctl)->Wake(job.scaled_job); });
  watcher.Start();

  // Starting and stopping the controller: one function each. In cluster mode
  // status conditions and Events are written only while it runs, and with
  // leader election only the Lease's holder runs it: the elector calls these
  // two on its thread as leadership comes and goes.
  auto start_controller = [&] {
    (*ctl)->Start();
    if (binding != nullptr) binding->StartStatus();
  };
  auto stop_controller = [&] {
    (*ctl)->Stop();
    if (binding != nullptr) binding->StopStatus();
  };
  if (cluster && o.leader_elect) {
    auto made = StartLeaderElection(o, *cluster, start_controller,
                                    stop_controller, &lease_client);
    if (!made.ok()) {
      EBB_LOG_ERROR("{}", std::string(made.status().message()));
      return kExitUsage;
    }
    elector = std::move(made).value();
    elector_ptr = elector.get();
  } else {
    start_controller();
  }
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
        EBB_LOG_INFO("SIGHUP: no manifest files to reload ({})",
                     binding ? "the cluster's ScaledJobs are watched"
                             : "single-node mode");
        continue;
      }
      EBB_LOG_INFO("SIGHUP: reloading {}", absl::StrJoin(o.files, ", "));
      auto fresh = LoadForUp(o, registry);
      bool usable = fresh != nullptr;
      for (size_t i = 0; usable && cluster && i < fresh->scaled_jobs.size();
           ++i) {
        absl::Status s = CheckExternalBroker(fresh->scaled_jobs[i]);
        if (!s.ok()) EBB_LOG_ERROR("{}", std::string(s.message()));
        usable = s.ok();
      }
      if (!usable) {
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
  if (elector) {
    elector->Stop();  // stops the controller if leading, releases the Lease
  } else {
    stop_controller();
  }
  if (binding != nullptr) binding->StopSource();
  // Kubernetes Jobs run on without ebb: nothing to wait for.
  if (o.drain_wait && !cluster) Drain(*executor, set);
  watcher.Stop();
  results.Stop();
  hub.Close();
  server.Stop();
  return kExitOk;
}

}  // namespace ebb::cli
