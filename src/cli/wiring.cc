// SPDX-License-Identifier: Apache-2.0
#include "cli/wiring.h"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/status.h"
#include "queue/rabbitmq/rabbitmq_queue.h"
#include "scalers/embedded/embedded_queue_scaler.h"
#include "scalers/rabbitmq/rabbitmq_scaler.h"
#include "scalers/validate_triggers.h"
#include "spec/resolve.h"

namespace ebb::cli {

void RegisterBuiltinScalers(scalers::ScalerRegistry* registry,
                            queue::embedded::EmbeddedQueue* embedded) {
  registry->Register(scalers::NewRabbitMqScalerFactory());
  registry->Register(scalers::NewEmbeddedQueueScalerFactory(embedded));
}

namespace {

// A worker reads the queue named by Q_NAME when its env sets one; if that is
// not the queue the trigger counts, jobs are started for messages they never
// take.
void WarnQueueMismatch(spec::LoadResult* result) {
  for (const spec::ScaledJob& job : result->manifests.scaled_jobs) {
    for (const spec::ScaleTrigger& t : job.triggers) {
      auto q = t.metadata.find("queueName");
      if (q == t.metadata.end()) continue;
      for (const spec::Container& c : job.job_target_ref.template_.containers) {
        for (const spec::EnvVar& e : c.env) {
          if (e.name != "Q_NAME" || e.secret_key_ref || e.value == q->second)
            continue;
          result->diagnostics.push_back(spec::Diagnostic{
              spec::Diagnostic::Severity::kWarning, e.location,
              absl::StrCat(
                  "container ", c.name, " sets Q_NAME=", e.value,
                  " but its trigger counts queue ", q->second,
                  ": jobs would start for messages their worker never takes")});
        }
      }
    }
  }
}

}  // namespace

absl::StatusOr<spec::LoadResult> LoadAndCheck(
    const std::vector<std::string>& paths,
    const scalers::ScalerRegistry& registry) {
  auto result = spec::LoadManifests(paths);
  if (!result.ok()) return result.status();
  scalers::ValidateTriggers(registry, &*result);
  WarnQueueMismatch(&*result);
  return result;
}

int PrintDiagnostics(const std::vector<spec::Diagnostic>& diagnostics) {
  int errors = 0;
  for (const auto& d : diagnostics) {
    std::cerr << d.ToString() << "\n";
    if (d.severity == spec::Diagnostic::Severity::kError) ++errors;
  }
  return errors;
}

absl::StatusOr<BrokerTarget> ResolveBrokerTarget(
    const spec::Manifests& manifests, const std::string& scaled_job) {
  for (const spec::ScaledJob& job : manifests.scaled_jobs) {
    if (!scaled_job.empty() && job.name != scaled_job) continue;
    for (size_t i = 0; i < job.triggers.size(); ++i) {
      const spec::ScaleTrigger& t = job.triggers[i];
      if (t.type == "ebb-queue") {
        auto q = t.metadata.find("queueName");
        if (q == t.metadata.end() || q->second.empty()) continue;
        return BrokerTarget{job.name, "", q->second};
      }
      if (t.type != "rabbitmq") continue;
      scalers::ScalerContext ctx;
      ctx.scaled_job = &job;
      ctx.trigger = &t;
      ctx.trigger_index = static_cast<int>(i);
      auto auth = spec::ResolveAuthParams(job, t, manifests);
      if (!auth.ok()) return auth.status();
      ctx.auth_params = *auth;
      if (auto c = spec::EnvSourceContainer(job); c.ok()) {
        if (auto env =
                spec::ResolveContainerEnv(**c, job.namespace_, manifests);
            env.ok()) {
          ctx.resolved_env = *env;
        }
      }
      auto meta = scalers::ParseRabbitMqMetadata(ctx);
      if (!meta.ok()) return meta.status();
      if (meta->protocol != scalers::RabbitMqProtocol::kAmqp) {
        return absl::FailedPreconditionError(
            absl::StrCat("scaledjob ", job.name,
                         ": its rabbitmq trigger reads the management API over "
                         "http; give the AMQP URL with --amqp-url to publish"));
      }
      return BrokerTarget{job.name, meta->host, meta->queue_name};
    }
  }
  return absl::NotFoundError(
      scaled_job.empty()
          ? std::string("no ScaledJob with a rabbitmq or ebb-queue trigger in "
                        "the manifests")
          : absl::StrCat("no ScaledJob \"", scaled_job,
                         "\" with a rabbitmq or ebb-queue trigger"));
}

absl::StatusOr<std::unique_ptr<queue::MessageQueue>> OpenRabbitMq(
    const std::string& amqp_url, const std::string& name) {
  queue::RabbitMqOptions options;
  options.url = amqp_url;
  options.connection_name = name;
  auto q = queue::RabbitMqQueue::Connect(options);
  if (!q.ok()) return q.status();
  return std::unique_ptr<queue::MessageQueue>(std::move(q).value());
}

absl::StatusOr<std::string> ApiToken(const std::string& data_dir, bool create) {
  // EBB_TOKEN, when set, is the token of the `ebb up` the commands talk to.
  if (const char* env = std::getenv("EBB_TOKEN"); env && *env)
    return std::string(env);
  return ApiTokenFile(data_dir + "/token", create);
}

absl::StatusOr<std::string> ApiTokenFile(const std::string& path, bool create) {
  auto token = ReadFile(path);
  if (token.ok()) {
    std::string t = *token;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }
  if (!create) return token.status();
  std::string t = NewUuid() + NewUuid();
  t.erase(std::remove(t.begin(), t.end(), '-'), t.end());
  EBB_RETURN_IF_ERROR(WriteFileAtomic(path, t + "\n"));
  ::chmod(path.c_str(), 0600);
  return t;
}

}  // namespace ebb::cli
