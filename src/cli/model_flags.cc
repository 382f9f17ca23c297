// SPDX-License-Identifier: Apache-2.0
#include "cli/model_flags.h"

#include <cstdlib>

#include "absl/strings/ascii.h"

namespace ebb::cli {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// --model/--device/--dtype/--vae-decoder/--prediction-type/--threads, shared
// by worker and generate.
void AddModelFlags(CLI::App* c, ModelCliOptions& m, const char* model_help) {
  m.model = EnvOr("EBB_MODEL", m.model);
  // The seed's manifests set DEVICE=GPU (upper case) on CPU-only images.
  m.device = absl::AsciiStrToLower(EnvOr("DEVICE", m.device));
  c->add_option("-m,--model", m.model, model_help)->capture_default_str();
  c->add_option("--device", m.device,
                "cpu; cuda (error when this build or machine has none); gpu "
                "(cuda when available, else cpu with a warning) (env DEVICE)")
      ->transform(CLI::IsMember({"cpu", "cuda", "gpu"}, CLI::ignore_case))
      ->capture_default_str();
  c->add_option("--dtype", m.dtype, "f32, or bf16 (CPUs with native bf16 only)")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
  c->add_option("--vae-decoder", m.vae_decoder,
                "latent decoder: vae (the model's), taesd=DIR (the fast TAESD "
                "decoder); default: a taesd/ folder beside the model, else "
                "its vae");
  m.prediction_type = EnvOr("EBB_PREDICTION_TYPE", m.prediction_type);
  c->add_option("--prediction-type", m.prediction_type,
                "what the UNet predicts: epsilon or v_prediction (SD 2.x "
                "768-v); default: the model's scheduler config, for a single "
                "file a sibling NAME.yaml, else epsilon (env "
                "EBB_PREDICTION_TYPE)")
      ->check(CLI::IsMember({"epsilon", "v_prediction"}));
  c->add_option("--threads", m.threads,
                "compute threads; default: the job's CPU limit (EBB_CPU_LIMIT, "
                "else cgroup cpu.max), else the online CPUs")
      ->check(CLI::NonNegativeNumber);
}

void AddWorker(CLI::App& app, ModelCommands& m) {
  WorkerCliOptions& worker = m.worker;
  worker.amqp_url = EnvOr("AMQP_URL", "");
  // A job's own AMQP_URL (the seed's Secret) wins over the EBB_QUEUE_URL that
  // `ebb up` gives every job.
  if (worker.amqp_url.empty()) worker.queue_url = EnvOr("EBB_QUEUE_URL", "");
  worker.token = EnvOr("EBB_TOKEN", "");
  // Q_NAME (the reference demo's), else the queue of the trigger that started
  // this job (set by `ebb up`), else "tasks".
  worker.queue = EnvOr("Q_NAME", EnvOr("EBB_TRIGGER_QUEUE", "tasks"));
  worker.store = EnvOr("EBB_STORE", "results");
  worker.max_tasks = EnvOr("EXIT_AFTER_ONE_TASK", "1") == "1" ? 1 : 0;
  auto* c_worker = app.add_subcommand(
      "worker",
      "Take requests from the queue, generate images, store them, then ack.\n"
      "Job mode by default: one request, then exit. With a model other than\n"
      "sim it runs in the inference binary ebb-diffusion (libtorch).\n"
      "No model named: the bundled ebb-shapes (coloured shapes, 32x32).");
  m.worker_cmd = c_worker;
  AddModelFlags(c_worker, worker.model,
                "a diffusers folder / single-file .safetensors, or sim (the "
                "procedural stand-in); default: the bundled ebb-shapes "
                "(env EBB_MODEL)");
  c_worker->add_option("--amqp-url", worker.amqp_url,
                       "broker URL (env AMQP_URL)");
  c_worker->add_option("--queue", worker.queue, "queue (env Q_NAME)")
      ->capture_default_str();
  c_worker->add_option("--dead-letter-queue", worker.dead_letter_queue,
                       "default QUEUE.dead");
  c_worker
      ->add_option("--store", worker.store,
                   "results directory or URI (env EBB_STORE)")
      ->capture_default_str();
  c_worker
      ->add_option("--max-tasks", worker.max_tasks,
                   "requests before exiting; 0 = forever")
      ->capture_default_str();
  c_worker->add_option(
      "--attempt-limit", worker.attempt_limit,
      "attempts per request before dead-lettering (env EBB_ATTEMPT_LIMIT)");
  c_worker->add_option(
      "--take-timeout", worker.take_timeout_s,
      "seconds to wait for a request before exiting in job mode");
  c_worker->add_option(
      "--retry-backoff", worker.retry_backoff,
      "delay before the first retry of a failed attempt, doubling each retry "
      "up to 5m: 5s (default), 250ms, 0 = at once (env EBB_RETRY_BACKOFF)");
}

void AddGenerate(CLI::App& app, ModelCommands& m) {
  GenerateOptions& g = m.generate;
  g.model.model = "";
  auto* c = app.add_subcommand(
      "generate",
      "Generate images from a prompt with a model folder, without a queue\n"
      "(try a model before deploying it). Prints where the time went (load,\n"
      "tokenize, text encoder, each step, decode, PNG) and the files "
      "written.\nRuns in the inference binary ebb-diffusion (libtorch).");
  m.generate_cmd = c;
  AddModelFlags(c, g.model,
                "diffusers folder or single-file .safetensors; default: the "
                "bundled ebb-shapes (env EBB_MODEL)");
  c->add_option("prompt", g.prompt, "the prompt")->required();
  c->add_option("--negative-prompt", g.negative_prompt,
                "what to avoid (used when --guidance-scale > 1)");
  c->add_option("--seed", g.seed,
                "noise seed; image n uses seed+n-1 (default: random, "
                "printed). Same request, same build: same PNG bytes")
      ->check(CLI::Range(int64_t{0}, int64_t{4294967295}));
  c->add_option("--steps", g.steps,
                "denoising steps, 1-150 (default: the model's; 1 for "
                "sd-turbo)")
      ->check(CLI::Range(1, 150));
  c->add_option("--guidance-scale", g.guidance_scale,
                "classifier-free guidance, 0-30 (<= 1: no unconditional "
                "pass; default: the model's, 1.0 for sd-turbo)")
      ->check(CLI::Range(0.0, 30.0));
  c->add_option("--scheduler", g.scheduler,
                "euler | euler_a | ddim | lcm (default: the model's "
                "scheduler_config.json)")
      ->check(CLI::IsMember({"euler", "euler_a", "ddim", "lcm"}));
  c->add_option("--width", g.width, "pixels, multiple of 8, 64-2048")
      ->check(CLI::Range(64, 2048))
      ->capture_default_str();
  c->add_option("--height", g.height, "pixels, multiple of 8, 64-2048")
      ->check(CLI::Range(64, 2048))
      ->capture_default_str();
  c->add_option("-c,--count", g.count, "images, 1-4")
      ->check(CLI::Range(1, 4))
      ->capture_default_str();
  c->add_option("--out-dir", g.out_dir,
                "where the PNGs go (ebb-SEED.png, one per image)")
      ->capture_default_str();
  c->add_option("-o,--output", g.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

void AddTokenize(CLI::App& app, ModelCommands& m) {
  TokenizeOptions& t = m.tokenize;
  t.model = EnvOr("EBB_MODEL", "");
  auto* c = app.add_subcommand(
      "tokenize",
      "Print the CLIP token ids a model's tokenizer makes of TEXT (BOS,\n"
      "content, EOS, padding to 77) and whether a prompt that long is cut.");
  m.tokenize_cmd = c;
  c->add_option("-m,--model", t.model,
                "diffusers folder (its tokenizer/) or a tokenizer folder "
                "(env EBB_MODEL)")
      ->required(t.model.empty());
  c->add_option("text", t.text, "the text")->required();
  c->add_option("-o,--output", t.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace

void AddModelCommands(CLI::App& app, ModelCommands& m, bool with_tokenize) {
  AddWorker(app, m);
  AddGenerate(app, m);
  if (with_tokenize) AddTokenize(app, m);
}

}  // namespace ebb::cli
