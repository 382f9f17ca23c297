// SPDX-License-Identifier: Apache-2.0
#include "cli/request_flags.h"

#include <cstdlib>

namespace ebb::cli {

void AddRequestCommands(
    CLI::App& app, RequestCommands& r,
    const std::function<void(CLI::App*)>& add_server,
    const std::function<void(CLI::App*, std::string&)>& add_output,
    const std::function<void(CLI::App*, std::string&)>& add_wide_output) {
  // A command on request ids, with the server flags and an output format.
  auto by_ids = [&](const char* name, const char* help, bool wide) {
    CLI::App* c = app.add_subcommand(name, help);
    c->add_option("ids", r.reqs.ids, "request ids")->required();
    add_server(c);
    (wide ? add_wide_output : add_output)(c, r.reqs.output);
    return c;
  };
  r.get = by_ids("get",
                 "Show requests by id: status, progress (step k of n) while "
                 "running, the wait\nestimate while queued, timings and "
                 "images.",
                 true);
  r.requests = app.add_subcommand(
      "requests",
      "List everyone's requests, newest first (not only this terminal's).");
  r.requests->add_option("--status", r.reqs.status,
                         "only these statuses, comma-separated: queued, "
                         "running, done, failed, cancelled, deleted");
  r.requests->add_option("-q,--query", r.reqs.query,
                         "only requests whose prompt or id contains this text");
  r.requests->add_option("--limit", r.reqs.limit, "at most this many, 1-500")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  add_server(r.requests);
  add_wide_output(r.requests, r.reqs.output);
  r.wait = by_ids("wait",
                  "Wait until the requests have finished. Exit 0 when all are "
                  "done, 1 when one\nfailed, was cancelled or deleted, or the "
                  "timeout passed.",
                  false);
  r.wait->add_option("--timeout", r.reqs.timeout_s, "seconds; 0 = no limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  r.cancel = by_ids("cancel",
                    "Cancel queued or running requests: a queued one is "
                    "dropped by the worker that\ntakes it, a running one "
                    "stops at its next step; neither is retried.",
                    false);
  r.del = by_ids("delete",
                 "Delete requests: their images and record (S3 too). A "
                 "tombstone stays, so a\nlate redelivery never brings them "
                 "back; a running one stops.",
                 false);

  r.submit_cmd = app.add_subcommand(
      "submit",
      "Queue a prompt: through a running `ebb up` (its scale loop wakes at "
      "once),\n"
      "else straight to the broker. Prints the request ids.");
  r.submit_cmd->add_option("prompt", r.submit.prompt, "the prompt")->required();
  r.submit_cmd
      ->add_option("-c,--count", r.submit.count, "images for this request, 1-4")
      ->check(CLI::Range(1, 4))
      ->capture_default_str();
  r.submit_cmd
      ->add_option("-n,--repeat", r.submit.repeat,
                   "publish N separate requests")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  r.submit_cmd->add_option("--seed", r.submit.seed, "random seed");
  r.submit_cmd->add_option("--negative-prompt", r.submit.negative_prompt,
                           "what to avoid");
  r.submit_cmd->add_option("--steps", r.submit.steps,
                           "denoising steps, 1-150 (default: the model's)");
  r.submit_cmd->add_option("--width", r.submit.width, "pixels, multiple of 8");
  r.submit_cmd->add_option("--height", r.submit.height,
                           "pixels, multiple of 8");
  r.submit_cmd->add_option("--guidance-scale", r.submit.guidance_scale,
                           "classifier-free guidance (default: the model's)");
  r.submit_cmd
      ->add_option("--scheduler", r.submit.scheduler,
                   "euler | euler_a | ddim | lcm (default: the model's)")
      ->check(CLI::IsMember({"euler", "euler_a", "ddim", "lcm"}));
  r.submit_cmd->add_option("--scaledjob", r.submit.scaled_job,
                           "target ScaledJob (default: the first)");
  r.submit_cmd->add_option("-f,--filename", r.submit.files,
                           "manifests naming the broker (direct mode)");
  r.submit_cmd->add_option("--amqp-url", r.submit.amqp_url,
                           "broker URL (env AMQP_URL)");
  r.submit_cmd->add_option("--queue", r.submit.queue, "queue (direct mode)")
      ->capture_default_str();
  r.submit_cmd->add_flag("--direct", r.submit.direct,
                         "publish to the broker even if `ebb up` runs");
  r.submit_cmd->add_flag("--parallel", r.submit.parallel,
                         "with --count N: N requests of one image each, run by "
                         "up to N workers at once");
  r.submit_cmd->add_flag(
      "--wait", r.submit.wait,
      "wait until the requests have finished (as `ebb wait`)");
  r.submit_cmd
      ->add_option("--timeout", r.submit.timeout_s,
                   "with --wait: seconds; 0 = no limit")
      ->check(CLI::NonNegativeNumber);
  add_server(r.submit_cmd);
  add_output(r.submit_cmd, r.submit.output);
}

int RunRequestCommand(RequestCommands& r, const ServerOptions& server) {
  r.reqs.server = server;
  if (r.get->parsed()) return RunGet(r.reqs);
  if (r.requests->parsed()) return RunRequests(r.reqs);
  if (r.wait->parsed()) return RunWait(r.reqs);
  if (r.cancel->parsed()) return RunCancel(r.reqs);
  if (r.del->parsed()) return RunDelete(r.reqs);
  if (r.submit_cmd->parsed()) {
    r.submit.server = server;
    if (r.submit.amqp_url.empty()) {
      const char* v = std::getenv("AMQP_URL");
      if (v != nullptr) r.submit.amqp_url = v;
    }
    return RunSubmit(r.submit);
  }
  return -1;
}

}  // namespace ebb::cli
