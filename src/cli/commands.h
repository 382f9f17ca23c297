// SPDX-License-Identifier: Apache-2.0
//
// File: cli/commands.h
//
// The `ebb` subcommands as plain functions over plain option structs. main.cc
// is the only file that includes CLI11 (7 s a translation unit on these cores);
// each Run* function returns the process exit code: 0 success, 1 failure, 2
// usage error (DESIGN.md "Command line").
#ifndef EBB_CLI_COMMANDS_H_
#define EBB_CLI_COMMANDS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ebb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Where a running `ebb up` is found, and its token (for writes).
struct ServerOptions {
  std::string server;    // --server / EBB_SERVER, default http://127.0.0.1:8080
  std::string data_dir;  // --data-dir / EBB_DATA_DIR; holds `token`
};

struct ValidateOptions {
  std::vector<std::string> files;
  std::string output = "text";
};
int RunValidate(const ValidateOptions& o);

struct ExplainOptions {
  std::vector<std::string> files;
  std::string scaled_job;
  std::optional<double> queue_length;
  std::vector<std::string> trigger_values;  // NAME=VALUE, one per trigger
  int64_t running = 0;
  int64_t pending = 0;
  std::string output = "text";
};
int RunExplain(const ExplainOptions& o);

struct RenderOptions {
  std::vector<std::string> files;
  std::string scaled_job;  // "" = the only one
  std::string owner_uid;   // the ScaledJob's metadata.uid, for ownerReferences
  std::string output = "yaml";  // yaml or json
};
int RunRender(const RenderOptions& o);

struct UpOptions {
  std::vector<std::string> files;
  std::string data_dir;
  std::string listen = "127.0.0.1:8080";
  bool insecure_listen = false;  // allow a non-loopback --listen host
  std::string store;   // object store for workers; default <data_dir>/results
  std::string images;  // ebb-local.yaml image mapping; default beside manifests
  std::string self_binary;      // this ebb binary, for {ebb} and __supervise
  bool drain_wait = true;       // on SIGINT/SIGTERM wait for running jobs
  bool public_reads = false;    // API reads without the token
  bool public_metrics = false;  // GET /metrics without the token
  int max_jobs = 0;             // single-node maxReplicaCount; 0 = GPUs, else 4
  std::string web_root;         // UI files; default: found beside the binary
  std::vector<std::string> worker_env;  // KEY=VALUE added to every job's env
  std::string token_file;   // API token file; default DATA_DIR/token (env
                            // EBB_TOKEN wins)
  std::string cors_origin;  // "" = CORS off
  // S3 credentials when --store is s3://: flags, else the Secret named here
  // (keys rootUser/rootPassword, as the seed's `minio` Secret holds them;
  // "minio" is tried when unset), else the AWS_* environment.
  std::string s3_secret;
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  // Cluster mode (cli/up_cluster.h): jobs as batch/v1 Jobs on a cluster.
  bool kubernetes = false;
  std::string kubeconfig;  // "" = $KUBECONFIG, in-cluster, ~/.kube/config
  std::string context;     // kubeconfig context; "" = current-context
  // Without -f: where ScaledJobs are read; none = the context's namespace.
  std::vector<std::string> namespaces;
  // Where ClusterTriggerAuthentications read Secrets; "" = not watched.
  std::string cluster_object_namespace;
  // With --kubernetes: only the holder of this coordination.k8s.io/v1 Lease
  // creates Jobs and writes status (executors/kubernetes/leader/).
  bool leader_elect = true;
  std::string lease_name = "ebb-controller";
  std::string lease_namespace;  // "" = the context's or the pod's namespace
  // client-go's timings, seconds: leaseDurationSeconds, how long the leader
  // keeps trying to renew, how often candidates and the leader try.
  double lease_duration_s = 15, renew_deadline_s = 10, retry_period_s = 2;
};
int RunUp(const UpOptions& o);

int RunStatus(const ServerOptions& s, const std::string& output);

// `ebb jobs`: NAME SCALEDJOB STATE OUTCOME AGE DURATION REASON (wide: and
// CREATED); json: the API's.
struct JobsOptions {
  ServerOptions server;
  std::string scaled_job;       // "" = every ScaledJob
  std::string output = "text";  // text, wide or json
};
int RunJobs(const JobsOptions& o);

// `ebb logs JOB [CONTAINER] [-f] [--tail N]`: with -f, reads again every
// poll_s until the job has finished.
struct LogsOptions {
  ServerOptions server;
  std::string job, container;
  bool follow = false;
  int tail = -1;  // last N lines first; -1 = all
  double poll_s = 1;
};
int RunLogs(const LogsOptions& o);

// Requests (cmd_requests.cc), kubectl's manner. Exit codes as every command:
// 0 success, 1 failure (cannot reach `ebb up`, unknown id, conflict, a wait
// that did not end done), 2 usage.
struct RequestsOptions {
  ServerOptions server;
  std::vector<std::string> ids;  // get, wait, cancel, delete
  std::string status;            // requests: comma-separated filter
  std::string query;             // requests: text in the prompt or id
  int limit = 50;                // requests
  std::string output = "text";   // text, wide or json
  double timeout_s = 0;          // wait: 0 = no limit
  double poll_s = 0.5;           // wait: between reads
  // wait: an unknown id is not known yet rather than an error (just
  // submitted: with RabbitMQ a queued request is unknown to `ebb up` until a
  // worker reports it).
  bool unknown_is_pending = false;
};
// `ebb get ID...`: one request each (text: a block per request with its
// progress "step k of n" or its estimate).
int RunGet(const RequestsOptions& o);
// `ebb requests`: everyone's requests, newest first (ID STATUS AGE PROGRESS
// PROMPT; wide: and ATTEMPT WORKER IMAGES).
int RunRequests(const RequestsOptions& o);
// `ebb wait ID...`: until each is finished; 0 when all are done, 1 when one
// failed, was cancelled or deleted, or the timeout passed.
int RunWait(const RequestsOptions& o);
// `ebb cancel ID...` / `ebb delete ID...`: 1 when one of them was refused
// (unknown, already finished), after trying all.
int RunCancel(const RequestsOptions& o);
int RunDelete(const RequestsOptions& o);

struct SubmitOptions {
  ServerOptions server;
  std::string prompt;
  int count = 1;
  int repeat = 1;  // publish this many separate requests
  std::optional<int64_t> seed;
  std::string negative_prompt;
  std::optional<int> steps, width, height;
  std::optional<double> guidance_scale;
  std::string scheduler;  // "" = the model's; euler|euler_a|ddim|lcm
  std::string scaled_job;
  std::vector<std::string> files;  // manifests naming the broker
  std::string amqp_url;            // --amqp-url / AMQP_URL
  std::string queue = "tasks";
  bool direct = false;    // skip `ebb up`, publish straight to the broker
  bool parallel = false;  // count N -> N requests of one image each
  bool wait = false;      // then wait for them as `ebb wait` does
  double timeout_s = 0;   // with wait: 0 = no limit
  std::string output = "text";
};
int RunSubmit(const SubmitOptions& o);

// Which model a worker or `ebb generate` runs, and how (cli/model_cli.h).
struct ModelCliOptions {
  // --model / -m / EBB_MODEL: "" = the bundled model (cli/bundled_model.h;
  // the sim when it cannot run), "sim" (the procedural stand-in, runs inside
  // `ebb`), or a diffusers folder / single-file .safetensors (runs in the
  // ebb-diffusion binary, which loads libtorch).
  std::string model;
  std::string device = "cpu";  // --device / DEVICE: cpu | cuda | gpu
  std::string dtype = "f32";   // --dtype: f32 | bf16
  std::string vae_decoder;     // --vae-decoder: "" | vae | taesd=DIR
  // --prediction-type / EBB_PREDICTION_TYPE: "" = the model's, epsilon,
  // v_prediction (SD 2.x 768-v single files cannot be told from weights).
  std::string prediction_type;
  int threads = 0;  // --threads; 0 = the job's CPU limit, else the CPUs
};

struct WorkerCliOptions {
  ModelCliOptions model;
  std::string
      queue_url;  // --queue-url / EBB_QUEUE_URL: an `ebb up`'s embedded queue
  std::string token;     // EBB_TOKEN: that `ebb up`'s API token
  std::string amqp_url;  // --amqp-url / AMQP_URL (when no queue URL)
  std::string queue;     // --queue / Q_NAME, default tasks
  std::string dead_letter_queue;
  std::string store;          // --store / EBB_STORE
  int max_tasks = 1;          // EXIT_AFTER_ONE_TASK=1 -> 1; 0 = forever
  int attempt_limit = 0;      // 0 = EBB_ATTEMPT_LIMIT or 5
  double take_timeout_s = 0;  // 0 = default
  std::string retry_backoff;  // "" = EBB_RETRY_BACKOFF or 5s
};
// RunWorker (with the model factory) is in cli/model_cli.h.

struct DlqOptions {
  ServerOptions server;  // used when neither files nor amqp_url is given
  std::vector<std::string> files;
  std::string amqp_url;
  std::string queue = "tasks";
  std::string dead_letter_queue;  // default <queue>.dead
  std::vector<std::string> ids;   // replay: empty = all; discard: required
  std::string output = "text";
  bool yes = false;  // purge: really remove (else only count)
};
int RunDlqList(const DlqOptions& o);
int RunDlqReplay(const DlqOptions& o);
// `ebb dlq discard ID...`: removes those dead letters for good; exit 1 when
// one was not found. `ebb dlq purge --yes`: removes all; without --yes it
// prints how many there are and exits 2 (usage) without removing any.
int RunDlqDiscard(const DlqOptions& o);
int RunDlqPurge(const DlqOptions& o);

// `ebb mirror SRC DST`: copy what changed between two stores (directories or
// store URIs), the seed's `mc mirror --exclude working` sidecar.
struct MirrorOptions {
  std::string source, destination;
  std::vector<std::string> exclude;    // globs on basename or key
  std::vector<std::string> once_when;  // wait until each matches in SRC
  bool remove = false;                 // delete what SRC no longer has
  bool watch = false;                  // repeat every interval until signalled
  bool dry_run = false;
  double interval_s = 1;
  std::string output = "text";
};
int RunMirror(const MirrorOptions& o);

// Hidden: `ebb __supervise JOB_DIR`, the local executor's per-job supervisor.
int RunSupervise(const std::string& job_dir);

// Defaults shared by the commands.
std::string DefaultDataDir();  // $EBB_DATA_DIR, else $XDG_STATE_HOME/ebb, else
                               // ~/.local/state/ebb
std::string DefaultServerUrl();  // $EBB_SERVER, else http://127.0.0.1:8080
std::string SelfBinary();        // /proc/self/exe resolved

}  // namespace ebb::cli

#endif  // EBB_CLI_COMMANDS_H_
