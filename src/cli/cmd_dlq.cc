// SPDX-License-Identifier: Apache-2.0
// `ebb dlq list|replay|discard|purge`: dead letters of a work queue.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/api_client.h"
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

// Through a running `ebb up` (its work queue, embedded or RabbitMQ), for when
// neither manifests nor a broker URL were given.
absl::StatusOr<nlohmann::json> ApiDeadLetters(const DlqOptions& o) {
  auto token = ApiToken(o.server.data_dir, false);
  auto res =
      ApiGet(o.server.server, "/api/v1/dead-letters", token.ok() ? *token : "");
  if (!res.ok()) {
    // Not reaching `ebb up` is a failure (exit 1) as on every command.
    return absl::UnavailableError(absl::StrCat(
        res.status().message(),
        "; or give -f MANIFESTS or --amqp-url to read the broker"));
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || j.is_discarded()) {
    return absl::UnavailableError(
        absl::StrCat("dead letters: HTTP ", res->status, ": ", res->body));
  }
  return j;
}

bool UseApi(const DlqOptions& o) {
  return o.files.empty() && o.amqp_url.empty();
}

}  // namespace

int RunDlqList(const DlqOptions& o) {
  if (UseApi(o)) {
    auto j = ApiDeadLetters(o);
    if (!j.ok()) return Fail(j.status());
    if (o.output == "json") {
      std::cout << j->dump(2) << "\n";
      return kExitOk;
    }
    std::cout << absl::StrFormat("%-38s %-8s %-12s %s\n", "ID", "ATTEMPT",
                                 "QUEUE", "REASON");
    for (const auto& e : (*j)["deadLetters"]) {
      std::string id = e.value("id", "");
      std::cout << absl::StrFormat(
          "%-38s %-8d %-12s %s\n", id.empty() ? "(no id)" : id,
          e.value("attempt", 0), e.value("queue", ""), e.value("reason", ""));
    }
    std::cout << (*j)["deadLetters"].size() << " dead letter(s)\n";
    return kExitOk;
  }
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
  if (UseApi(o)) {
    std::vector<std::string> ids = o.ids;
    if (ids.empty()) {
      auto j = ApiDeadLetters(o);
      if (!j.ok()) return Fail(j.status());
      for (const auto& e : (*j)["deadLetters"]) {
        if (!e.value("id", "").empty()) ids.push_back(e["id"]);
      }
    }
    auto token = ApiToken(o.server.data_dir, false);
    int replayed = 0, missing = 0;
    for (const auto& id : ids) {
      auto res =
          ApiPost(o.server.server, "/api/v1/dead-letters/" + id + "/replay",
                  "{}", token.ok() ? *token : "");
      if (!res.ok()) return Fail(res.status());
      if (res->status == 404) {
        ++missing;
        std::cerr << "warning: no dead letter with id " << id << "\n";
      } else if (res->status != 200) {
        std::cerr << "error: replay " << id << ": HTTP " << res->status << ": "
                  << res->body << "\n";
        return kExitFailure;
      } else {
        ++replayed;
      }
    }
    std::cout << "replayed " << replayed << " dead letter(s)\n";
    return missing ? kExitFailure : kExitOk;
  }
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

namespace {

// POSTs `path` to the API; the "discarded" count, or -1 for a 404.
absl::StatusOr<int> ApiDiscard(const DlqOptions& o, const std::string& path) {
  auto token = ApiToken(o.server.data_dir, false);
  auto res = ApiPost(o.server.server, path, "{}", token.ok() ? *token : "");
  if (!res.ok()) return res.status();
  if (res->status == 404) return -1;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || !j.is_object()) {
    return absl::UnavailableError(
        absl::StrCat(path, ": HTTP ", res->status, ": ", res->body));
  }
  return j.value("discarded", 0);
}

}  // namespace

int RunDlqDiscard(const DlqOptions& o) {
  if (o.ids.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give the ids to discard (`ebb dlq list` shows them), or use `ebb dlq "
        "purge --yes` to remove all"));
  }
  int discarded = 0, missing = 0;
  if (UseApi(o)) {
    for (const auto& id : o.ids) {
      auto n = ApiDiscard(o, "/api/v1/dead-letters/" + id + "/discard");
      if (!n.ok()) return Fail(n.status());
      if (*n < 0) {
        ++missing;
        std::cerr << "warning: no dead letter with id " << id << "\n";
      } else {
        discarded += *n;
      }
    }
    std::cout << "discarded " << discarded << " dead letter(s)\n";
    return missing ? kExitFailure : kExitOk;
  }
  auto t = Open(o);
  if (!t.ok()) return Fail(t.status());
  auto n = queue::DiscardDeadLetters(*t->mq, t->dead_queue, o.ids);
  if (!n.ok()) return Fail(n.status());
  std::cout << "discarded " << *n << " dead letter(s) from " << t->dead_queue
            << "\n";
  if (*n < static_cast<int>(o.ids.size())) {
    std::cerr << "warning: " << o.ids.size() - *n
              << " of the given id(s) were not found\n";
    return kExitFailure;
  }
  return kExitOk;
}

int RunDlqPurge(const DlqOptions& o) {
  if (!o.yes) {
    size_t count = 0;
    if (UseApi(o)) {
      auto j = ApiDeadLetters(o);
      if (!j.ok()) return Fail(j.status());
      count = (*j)["deadLetters"].size();
    } else {
      auto t = Open(o);
      if (!t.ok()) return Fail(t.status());
      auto entries = queue::ListDeadLetters(*t->mq, t->dead_queue, 1000);
      if (!entries.ok()) return Fail(entries.status());
      count = entries->size();
    }
    std::cerr << count << (count >= 1000 ? "+" : "")
              << " dead letter(s) would be removed for good; nothing was "
                 "removed. Run again with --yes to remove them.\n";
    return kExitUsage;
  }
  if (UseApi(o)) {
    auto n = ApiDiscard(o, "/api/v1/dead-letters/purge");
    if (!n.ok()) return Fail(n.status());
    std::cout << "purged " << std::max(0, *n) << " dead letter(s)\n";
    return kExitOk;
  }
  auto t = Open(o);
  if (!t.ok()) return Fail(t.status());
  auto n = queue::DiscardDeadLetters(*t->mq, t->dead_queue, {});
  if (!n.ok()) return Fail(n.status());
  std::cout << "purged " << *n << " dead letter(s) from " << t->dead_queue
            << "\n";
  return kExitOk;
}

}  // namespace ebb::cli
