// SPDX-License-Identifier: Apache-2.0
// `ebb dlq list|replay`: dead letters of a work queue.
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/wiring.h"
#include "common/secrets.h"
#include "queue/dead_letters.h"

namespace ebb::cli {
namespace {

struct DlqTarget {
  std::unique_ptr<queue::MessageQueue> mq;
  std::string dead_queue;
};

// The broker from --amqp-url/AMQP_URL, else from the manifests' first rabbitmq
// trigger (then the work queue is that trigger's queue).
absl::StatusOr<DlqTarget> Open(const DlqOptions& o) {
  std::string url = o.amqp_url, work_queue = o.queue;
  if (url.empty()) {
    if (o.files.empty()) {
      return absl::InvalidArgumentError(
          "give -f MANIFESTS, --amqp-url or AMQP_URL");
    }
    scalers::ScalerRegistry registry;
    RegisterBuiltinScalers(&registry);
    auto loaded = LoadAndCheck(o.files, registry);
    if (!loaded.ok()) return loaded.status();
    if (loaded->HasErrors()) {
      PrintDiagnostics(loaded->diagnostics);
      return absl::InvalidArgumentError("the manifests have errors");
    }
    auto target = ResolveBrokerTarget(loaded->manifests, "");
    if (!target.ok()) return target.status();
    url = target->amqp_url;
    work_queue = target->queue;
  }
  auto mq = OpenRabbitMq(url, "ebb-dlq");
  if (!mq.ok()) return mq.status();
  return DlqTarget{std::move(mq).value(),
                   o.dead_letter_queue.empty()
                       ? queue::DeadLetterQueueName(work_queue)
                       : o.dead_letter_queue};
}

int Fail(const absl::Status& s) {
  std::cerr << "error: " << MaskUrlCredentials(std::string(s.message()))
            << "\n";
  return absl::IsInvalidArgument(s) ? kExitUsage : kExitFailure;
}

}  // namespace

int RunDlqList(const DlqOptions& o) {
  auto t = Open(o);
  if (!t.ok()) return Fail(t.status());
  auto entries = queue::ListDeadLetters(*t->mq, t->dead_queue, 1000);
  if (!entries.ok()) {
    if (absl::IsNotFound(entries.status()))
      entries = std::vector<queue::DeadLetterEntry>{};
    else
      return Fail(entries.status());
  }
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *entries) {
      out.push_back({{"id", e.id},
                     {"reason", e.reason},
                     {"queue", e.original_queue},
                     {"attempt", e.attempt},
                     {"body", e.body}});
    }
    std::cout << nlohmann::json{{"deadLetterQueue", t->dead_queue},
                                {"deadLetters", out}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << absl::StrFormat("%-38s %-8s %-12s %s\n", "ID", "ATTEMPT",
                               "QUEUE", "REASON");
  for (const auto& e : *entries) {
    std::cout << absl::StrFormat("%-38s %-8d %-12s %s\n",
                                 e.id.empty() ? "(no id)" : e.id, e.attempt,
                                 e.original_queue, e.reason);
  }
  std::cout << entries->size() << " dead letter(s) in " << t->dead_queue
            << "\n";
  return kExitOk;
}

int RunDlqReplay(const DlqOptions& o) {
  auto t = Open(o);
  if (!t.ok()) return Fail(t.status());
  auto n = queue::ReplayDeadLetters(*t->mq, t->dead_queue, o.ids);
  if (!n.ok()) return Fail(n.status());
  std::cout << "replayed " << *n << " dead letter(s) from " << t->dead_queue
            << "\n";
  if (!o.ids.empty() && *n < static_cast<int>(o.ids.size())) {
    std::cerr << "warning: " << o.ids.size() - *n
              << " of the given id(s) were not found\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace ebb::cli
