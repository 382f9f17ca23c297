// SPDX-License-Identifier: Apache-2.0
// `ebb submit`: through a running `ebb up` (its loop wakes at once), else
// direct.
#include <cmath>
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/publish.h"
#include "cli/wiring.h"
#include "common/log.h"
#include "common/secrets.h"

namespace ebb::cli {
namespace {

nlohmann::json SubmitBody(const SubmitOptions& o) {
  nlohmann::json body = {
      {"prompt", o.prompt}, {"count", o.count}, {"repeat", o.repeat}};
  if (o.seed) body["seed"] = *o.seed;
  if (!o.negative_prompt.empty()) body["negative_prompt"] = o.negative_prompt;
  if (o.steps) body["steps"] = *o.steps;
  if (o.width) body["width"] = *o.width;
  if (o.height) body["height"] = *o.height;
  // JSON has no NaN/Inf (they would turn into null): pass them as text so the
  // validation rejects them by name.
  if (o.guidance_scale) {
    body["guidance_scale"] =
        std::isfinite(*o.guidance_scale)
            ? nlohmann::json(*o.guidance_scale)
            : nlohmann::json(std::to_string(*o.guidance_scale));
  }
  if (!o.scheduler.empty()) body["scheduler"] = o.scheduler;
  if (!o.scaled_job.empty()) body["scaledjob"] = o.scaled_job;
  if (o.parallel) body["parallel"] = true;
  return body;
}

// Prints the ids, or with --wait waits for them (`ebb wait`'s output and
// exit code).
int Submitted(const SubmitOptions& o, const std::vector<std::string>& ids,
              const char* via) {
  if (!o.wait) {
    if (o.output == "json") {
      std::cout << nlohmann::json{{"ids", ids}, {"via", via}}.dump() << "\n";
    } else {
      for (const auto& id : ids) std::cout << id << "\n";
    }
    return kExitOk;
  }
  RequestsOptions w;
  w.server = o.server;
  w.ids = ids;
  w.output = o.output;
  w.timeout_s = o.timeout_s;
  w.unknown_is_pending = true;
  return RunWait(w);
}

int PrintIds(const std::vector<std::string>& ids, const std::string& output,
             const char* via) {
  if (output == "json") {
    std::cout << nlohmann::json{{"ids", ids}, {"via", via}}.dump() << "\n";
  } else {
    for (const auto& id : ids) std::cout << id << "\n";
  }
  return kExitOk;
}

int SubmitDirect(const SubmitOptions& o, const nlohmann::json& body) {
  std::string url = o.amqp_url, queue_name = o.queue;
  if (url.empty() && !o.files.empty()) {
    scalers::ScalerRegistry registry;
    RegisterBuiltinScalers(&registry);
    auto loaded = LoadAndCheck(o.files, registry);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message() << "\n";
      return kExitFailure;
    }
    if (loaded->HasErrors()) {
      PrintDiagnostics(loaded->diagnostics);
      return kExitFailure;
    }
    auto target = ResolveBrokerTarget(loaded->manifests, o.scaled_job);
    if (!target.ok()) {
      std::cerr << "error: " << target.status().message() << "\n";
      return kExitFailure;
    }
    url = target->amqp_url;
    queue_name = target->queue;
  }
  if (url.empty()) {
    std::cerr << (o.direct
                      ? "error: --direct needs a broker: give -f MANIFESTS, "
                        "--amqp-url or "
                        "AMQP_URL\n"
                      : "error: no `ebb up` answers at " + o.server.server +
                            " (--server / EBB_SERVER) and no broker was given: "
                            "give -f "
                            "MANIFESTS, --amqp-url or AMQP_URL\n");
    // Not reaching `ebb up` is a failure like on every command; --direct
    // without a broker is a usage error.
    return o.direct ? kExitUsage : kExitFailure;
  }
  auto tasks = BuildTasks(body);
  if (!tasks.ok()) {
    std::cerr << "error: " << tasks.status().message() << "\n";
    return kExitUsage;
  }
  auto mq = OpenRabbitMq(url, "ebb-submit");
  if (!mq.ok()) {
    std::cerr << "error: "
              << MaskUrlCredentials(std::string(mq.status().message())) << "\n";
    return kExitFailure;
  }
  std::vector<std::string> ids;
  absl::Status s = PublishTasks(**mq, queue_name, *tasks, &ids);
  if (!s.ok()) {
    PrintIds(ids, o.output, "broker");
    std::cerr << "error: " << MaskUrlCredentials(std::string(s.message()))
              << " (published " << ids.size() << " of " << tasks->size()
              << ")\n";
    return kExitFailure;
  }
  return Submitted(o, ids, "broker");
}

}  // namespace

int RunSubmit(const SubmitOptions& o) {
  nlohmann::json body = SubmitBody(o);
  if (!o.direct) {
    Api api = ConnectApi(o.server);
    api.quiet_unreachable = true;
    int rc = kExitOk, http = 0;
    auto j = CallApi(api, "POST", "/api/v1/requests", body.dump(), &rc, nullptr,
                     &http);
    if (j) {
      return Submitted(o, (*j)["ids"].get<std::vector<std::string>>(),
                       "ebb up");
    }
    if (http != 0) return rc;  // `ebb up` answered: its error is printed
    EBB_LOG_DEBUG("no `ebb up` at {}; publishing straight to the broker",
                  o.server.server);
  }
  return SubmitDirect(o, body);
}

}  // namespace ebb::cli
