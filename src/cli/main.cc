// SPDX-License-Identifier: Apache-2.0
//
// `ebb`: flag parsing only; every subcommand is a Run* function in commands.h.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_join.h"
#include "cli/bundled_model.h"
#include "cli/commands.h"
#include "cli/model_flags.h"
#include "cli/request_flags.h"
#include "cli/up_flags.h"
#include "common/log.h"

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ebb::cli;
  CLI::App app{
      "ebb: event-driven autoscaling for AI inference.\n"
      "Reads KEDA ScaledJob manifests and starts one worker job per queued "
      "request."};
  // The usage line says `ebb`, not the path it was started by.
  app.name("ebb");
  app.set_version_flag("--version", std::string("ebb ") + EBB_VERSION);
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|off (env EBB_LOG_LEVEL)")
      ->capture_default_str();

  ServerOptions server{DefaultServerUrl(), DefaultDataDir()};
  auto add_server = [&](CLI::App* c) {
    c->add_option("--server", server.server,
                  "address of a running `ebb up` (env EBB_SERVER)")
        ->capture_default_str();
    c->add_option(
         "--data-dir", server.data_dir,
         "ebb's data directory, holds the API token (env EBB_DATA_DIR)")
        ->capture_default_str();
  };
  auto add_output = [](CLI::App* c, std::string& out) {
    c->add_option("-o,--output", out, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
  };

  // validate
  ValidateOptions validate;
  auto* c_validate = app.add_subcommand(
      "validate",
      "Check KEDA manifests (ScaledJob, TriggerAuthentication, Secret) like "
      "KEDA would,\n"
      "and warn about typos and strategy/metric pairings that misbehave.");
  c_validate
      ->add_option("-f,--filename", validate.files,
                   "manifest file or directory (repeatable)")
      ->required();
  add_output(c_validate, validate.output);

  // render
  RenderOptions render;
  auto* c_render = app.add_subcommand(
      "render",
      "Print the exact batch/v1 Job ebb would create on Kubernetes for a "
      "ScaledJob\n(as KEDA's operator creates it; the API server adds the "
      "name's 5-character suffix).");
  c_render
      ->add_option("-f,--filename", render.files,
                   "manifest file or directory (repeatable)")
      ->required();
  c_render->add_option("--scaledjob", render.scaled_job,
                       "ScaledJob name (default: the only one)");
  c_render->add_option("--owner-uid", render.owner_uid,
                       "the ScaledJob's metadata.uid in the cluster: adds the "
                       "ownerReference KEDA sets");
  c_render->add_option("-o,--output", render.output, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();

  // explain
  ExplainOptions explain;
  auto* c_explain =
      app.add_subcommand("explain",
                         "Show the scaling decision a ScaledJob makes for a "
                         "given queue state, step by step.");
  c_explain
      ->add_option("-f,--filename", explain.files, "manifest file or directory")
      ->required();
  c_explain->add_option("--scaledjob", explain.scaled_job,
                        "ScaledJob name (default: the only one)");
  c_explain->add_option(
      "-q,--queue-length", explain.queue_length,
      "metric value of every trigger (messages in the queue)");
  c_explain->add_option(
      "--trigger", explain.trigger_values,
      "per-trigger metric, NAME=VALUE (NAME: trigger name or index)");
  c_explain
      ->add_option("-r,--running", explain.running,
                   "unfinished jobs (pending included)")
      ->capture_default_str();
  c_explain->add_option("-p,--pending", explain.pending, "jobs not yet ready")
      ->capture_default_str();
  add_output(c_explain, explain.output);

  // up
  UpOptions up;
  up.data_dir = server.data_dir;
  auto* c_up = app.add_subcommand("up",
                                  "Run ebb: the controller, the local "
                                  "executor, the embedded queue, the API and\n"
                                  "the web UI. Without -f: the single-node "
                                  "product (one ScaledJob of `ebb worker`\n"
                                  "jobs on the embedded queue). With -f: the "
                                  "ScaledJobs of those KEDA manifests.\n"
                                  "SIGHUP reloads the manifests; Ctrl-C stops "
                                  "creating jobs, waits for running\n"
                                  "ones, and exits. With --kubernetes: the "
                                  "jobs are Jobs on a cluster.");
  c_up->add_option("-f,--filename", up.files,
                   "KEDA manifest file or directory (repeatable)");
  c_up->add_option("--data-dir", up.data_dir,
                   "state, job dirs, token (env EBB_DATA_DIR)")
      ->capture_default_str();
  c_up->add_option("--listen", up.listen,
                   "API address HOST:PORT (a loopback host unless "
                   "--insecure-listen)")
      ->capture_default_str();
  c_up->add_flag("--insecure-listen", up.insecure_listen,
                 "allow a --listen host other than loopback: the API token "
                 "then crosses the network in plain HTTP (cluster mode, "
                 "Prometheus scraping from another host, a TLS proxy)");
  c_up->add_option("--store", up.store,
                   "where workers store results (default DATA_DIR/results)");
  c_up->add_option("--images", up.images,
                   "image mapping for local runs (default: ebb-local.yaml "
                   "beside the manifests)");
  c_up->add_option(
      "--max-jobs", up.max_jobs,
      "single-node mode: most jobs at once (default: one per GPU, else 4)");
  c_up->add_option("--web-root", up.web_root,
                   "directory of the web UI's files");
  c_up->add_option(
      "--token-file", up.token_file,
      "API token file, created if missing (default DATA_DIR/token; env "
      "EBB_TOKEN sets the token itself)");
  c_up->add_option(
      "--cors-origin", up.cors_origin,
      "allow this browser origin to call the API (CORS is off by default)");
  c_up->add_option(
      "--s3-secret", up.s3_secret,
      "with --store s3://...: a Secret in the manifests holding rootUser and "
      "rootPassword (default: `minio` when present)");
  c_up->add_option("--s3-access-key-id", up.s3_access_key_id,
                   "with --store s3://...: access key (else the Secret, else "
                   "AWS_ACCESS_KEY_ID)");
  c_up->add_option("--s3-secret-access-key", up.s3_secret_access_key,
                   "with --store s3://...: secret key (visible to `ps`: prefer "
                   "the Secret or "
                   "AWS_SECRET_ACCESS_KEY)");
  c_up->add_option(
      "--worker-env", up.worker_env,
      "KEY=VALUE added to every job's environment (repeatable), e.g. "
      "EBB_SIM_INFERENCE_MS=500");
  c_up->add_flag(
      "--public-reads", up.public_reads,
      "serve API reads (GET) without the token (writes always need it)");
  c_up->add_flag("--public-metrics", up.public_metrics,
                 "serve GET /metrics without the token (for a Prometheus "
                 "that scrapes by annotation; metrics carry names and "
                 "counts, no secrets)");
  AddUpClusterFlags(c_up, &up);  // --kubernetes ... (cli/up_flags.cc)
  bool no_drain_wait = false;
  c_up->add_flag("--no-drain-wait", no_drain_wait,
                 "on Ctrl-C exit at once; running jobs go on and the next "
                 "`ebb up` adopts them");

  // status / jobs / logs
  std::string status_output = "text";
  auto* c_status = app.add_subcommand(
      "status",
      "Show each ScaledJob of a running `ebb up`: queue, jobs, last decision.");
  add_server(c_status);
  add_output(c_status, status_output);
  auto add_wide_output = [](CLI::App* c, std::string& out) {
    c->add_option("-o,--output", out, "text, wide or json")
        ->check(CLI::IsMember({"text", "wide", "json"}))
        ->capture_default_str();
  };
  JobsOptions jobs;
  auto* c_jobs = app.add_subcommand(
      "jobs",
      "List the jobs of a running `ebb up`: state, outcome, age, duration.");
  c_jobs->add_option("--scaledjob", jobs.scaled_job,
                     "only the jobs of this ScaledJob");
  add_server(c_jobs);
  add_wide_output(c_jobs, jobs.output);
  LogsOptions logs;
  auto* c_logs = app.add_subcommand("logs", "Print a job's container log.");
  c_logs->add_option("job", logs.job, "job name")->required();
  c_logs->add_option("container", logs.container,
                     "container (default: the first)");
  c_logs->add_flag("-f,--follow", logs.follow,
                   "keep printing new lines until the job has finished");
  c_logs->add_option("--tail", logs.tail, "print only the last N lines first")
      ->check(CLI::NonNegativeNumber);
  add_server(c_logs);

  // requests: get / requests / wait / cancel / delete / submit
  // (cli/request_flags.cc)
  RequestCommands req_cmds;
  AddRequestCommands(app, req_cmds, add_server, add_output, add_wide_output);

  // worker, generate, tokenize (cli/model_flags.cc; shared with
  // ebb-diffusion, which `ebb` execs for a real model)
  ModelCommands model_cmds;
  AddModelCommands(app, model_cmds, /*with_tokenize=*/true);

  // dlq
  DlqOptions dlq;
  auto* c_dlq = app.add_subcommand(
      "dlq", "Dead letters: requests that failed every attempt.");
  c_dlq->require_subcommand(1);
  auto add_dlq = [&](CLI::App* c) {
    add_server(c);
    c->add_option("-f,--filename", dlq.files, "manifests naming the broker");
    c->add_option("--amqp-url", dlq.amqp_url, "broker URL (env AMQP_URL)");
    c->add_option("--queue", dlq.queue, "work queue")->capture_default_str();
    c->add_option("--dead-letter-queue", dlq.dead_letter_queue,
                  "default QUEUE.dead");
  };
  auto* c_dlq_list =
      c_dlq->add_subcommand("list", "Show dead letters with their reasons.");
  add_dlq(c_dlq_list);
  add_output(c_dlq_list, dlq.output);
  auto* c_dlq_replay = c_dlq->add_subcommand(
      "replay", "Requeue dead letters (all, or the given ids).");
  add_dlq(c_dlq_replay);
  c_dlq_replay->add_option("ids", dlq.ids, "request ids (default: all)");
  auto* c_dlq_discard = c_dlq->add_subcommand(
      "discard", "Remove the given dead letters for good (not replayed).");
  add_dlq(c_dlq_discard);
  c_dlq_discard->add_option("ids", dlq.ids, "ids as `ebb dlq list` shows them")
      ->required();
  auto* c_dlq_purge = c_dlq->add_subcommand(
      "purge", "Remove every dead letter for good (asks for --yes).");
  add_dlq(c_dlq_purge);
  c_dlq_purge->add_flag("--yes", dlq.yes,
                        "really remove them; without it, only count them");

  // mirror
  MirrorOptions mirror;
  auto* c_mirror = app.add_subcommand(
      "mirror",
      "Copy what changed from SRC to DST (directories or store URIs, either\n"
      "way): new objects, and those whose size, etag or time differs. Records\n"
      "(*.json) are copied after every image, so DST never shows a record\n"
      "whose images are missing. Replaces the seed's `mc mirror --exclude\n"
      "working` sidecar: `ebb mirror --exclude working --watch /images DST`;\n"
      "the Job sidecar is `--once-when '*.png' --once-when '*.json'`.");
  c_mirror->add_option("src", mirror.source, "source directory or store URI")
      ->required();
  c_mirror
      ->add_option("dst", mirror.destination,
                   "destination directory or store URI")
      ->required();
  // One value per flag, so `--exclude working SRC DST` leaves SRC and DST.
  c_mirror
      ->add_option("--exclude", mirror.exclude,
                   "glob on the key or its basename, never copied or "
                   "removed (repeatable), e.g. working, '*.tmp'")
      ->allow_extra_args(false);
  c_mirror->add_flag("--remove", mirror.remove,
                     "delete from DST what SRC no longer has");
  c_mirror->add_flag("--watch", mirror.watch,
                     "keep mirroring every interval until SIGINT/SIGTERM");
  c_mirror
      ->add_option("--interval", mirror.interval_s,
                   "seconds between passes (--watch) and --once-when checks")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  c_mirror
      ->add_option("--once-when", mirror.once_when,
                   "wait until SRC has an object matching each such glob "
                   "(repeatable), then mirror")
      ->allow_extra_args(false);
  c_mirror->add_flag("--dry-run", mirror.dry_run,
                     "print what would be done, change nothing");
  add_output(c_mirror, mirror.output);

  // hidden supervisor
  std::string supervise_dir;
  auto* c_supervise = app.add_subcommand("__supervise", "");
  c_supervise->group("");
  c_supervise->add_option("dir", supervise_dir)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  ebb::InitLogging(log_level);

  if (c_validate->parsed()) return RunValidate(validate);
  if (c_explain->parsed()) return RunExplain(explain);
  if (c_render->parsed()) return RunRender(render);
  if (c_up->parsed()) {
    up.self_binary = SelfBinary();
    up.drain_wait = !no_drain_wait;
    return RunUp(up);
  }
  if (c_status->parsed()) return RunStatus(server, status_output);
  if (c_jobs->parsed()) {
    jobs.server = server;
    return RunJobs(jobs);
  }
  if (c_logs->parsed()) {
    logs.server = server;
    return RunLogs(logs);
  }
  if (int rc = RunRequestCommand(req_cmds, server); rc >= 0) return rc;
  if (model_cmds.worker_cmd->parsed()) {
    ModelCliOptions& m = model_cmds.worker.model;
    const ResolvedModel r = ResolveModel(m.model);
    if (r.fell_back) {
      EBB_LOG_WARN("{}", r.note);
    } else if (!r.note.empty()) {
      EBB_LOG_INFO("{}", r.note);
    }
    m.model = r.model;
    if (IsSimModel(m.model)) return RunWorker(model_cmds.worker, MakeSimModel);
    // ebb-diffusion parses the same argv: EBB_MODEL carries the default.
    ::setenv("EBB_MODEL", m.model.c_str(), 1);
    return ExecDiffusion("ebb worker --model " + m.model, argc, argv);
  }
  if (model_cmds.generate_cmd->parsed()) {
    if (model_cmds.generate.model.model.empty()) {
      std::vector<std::string> tried;
      const std::string bundled = FindBundledModel(&tried);
      if (bundled.empty()) {
        std::cerr << "ebb generate: no --model or EBB_MODEL, and the bundled "
                     "model "
                  << kBundledModelName << " is not installed (looked in "
                  << absl::StrJoin(tried, ", ")
                  << "). Name a diffusers folder or a .safetensors file\n";
        return kExitUsage;
      }
      ::setenv("EBB_MODEL", bundled.c_str(), 1);
    }
    return ExecDiffusion("ebb generate", argc, argv);
  }
  if (model_cmds.tokenize_cmd->parsed())
    return RunTokenize(model_cmds.tokenize);
  if (c_dlq_list->parsed()) {
    if (dlq.amqp_url.empty()) dlq.amqp_url = EnvOr("AMQP_URL", "");
    dlq.server = server;
    return RunDlqList(dlq);
  }
  if (c_dlq_replay->parsed()) {
    if (dlq.amqp_url.empty()) dlq.amqp_url = EnvOr("AMQP_URL", "");
    dlq.server = server;
    return RunDlqReplay(dlq);
  }
  if (c_dlq_discard->parsed() || c_dlq_purge->parsed()) {
    if (dlq.amqp_url.empty()) dlq.amqp_url = EnvOr("AMQP_URL", "");
    dlq.server = server;
    return c_dlq_purge->parsed() ? RunDlqPurge(dlq) : RunDlqDiscard(dlq);
  }
  if (c_mirror->parsed()) return RunMirror(mirror);
  if (c_supervise->parsed()) return RunSupervise(supervise_dir);
  return kExitUsage;
}
