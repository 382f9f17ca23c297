// SPDX-License-Identifier: Apache-2.0
// `ebb worker`: take one request (job mode) or many, render, store, then ack.
#include <signal.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/model_cli.h"
#include "cli/wiring.h"
#include "common/log.h"
#include "common/secrets.h"
#include "inference/sim/sim_text_to_image.h"
#include "queue/http/http_message_queue.h"
#include "storage/object_store.h"
#include "worker/attempts.h"
#include "worker/outcome.h"
#include "worker/worker.h"

namespace ebb::cli {
namespace {

// Connects with exponential backoff (0.5 s doubling to 8 s) for up to a minute:
// a job may start while the broker restarts. Every failure is logged, masked.
absl::StatusOr<std::unique_ptr<queue::MessageQueue>> ConnectWithBackoff(
    const std::string& url) {
  absl::Duration delay = absl::Milliseconds(500);
  const absl::Time deadline = absl::Now() + absl::Minutes(1);
  while (true) {
    auto mq = OpenRabbitMq(url, "ebb-worker");
    if (mq.ok() || absl::Now() + delay > deadline) return mq;
    EBB_LOG_WARN("broker not reachable ({}); retrying in {}",
                 MaskUrlCredentials(std::string(mq.status().message())),
                 absl::FormatDuration(delay));
    absl::SleepFor(delay);
    delay = std::min(delay * 2, absl::Seconds(8));
  }
}

}  // namespace

bool IsSimModel(const std::string& model) { return model == "sim"; }

absl::StatusOr<std::unique_ptr<inference::TextToImage>> MakeSimModel(
    const ModelCliOptions& o) {
  if (!IsSimModel(o.model)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model \"", o.model, "\" is not the sim"));
  }
  auto sim_options = inference::SimOptionsFromEnv();
  if (!sim_options.ok()) return sim_options.status();
  auto model = inference::SimTextToImage::Create(*sim_options);
  if (!model.ok()) return model.status();
  return std::unique_ptr<inference::TextToImage>(std::move(*model));
}

int RunWorker(const WorkerCliOptions& o, const ModelFactory& make_model) {
  if (o.amqp_url.empty() && o.queue_url.empty()) {
    EBB_LOG_ERROR(
        "no queue: set EBB_QUEUE_URL (an `ebb up`) or AMQP_URL (RabbitMQ)");
    return kExitUsage;
  }
  // SIGTERM/SIGINT: stop taking new requests; a request in inference is
  // handed back at the model's next step unless it finishes within
  // finish_within (worker/worker_stop.cc); if killed, the broker redelivers.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  // A shell starts background jobs with SIGINT ignored; an ignored signal is
  // discarded even while blocked, so restore the defaults before sigwait.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  sigaddset(&set, SIGUSR1);  // internal: wakes the signal thread at exit
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  worker::WorkerOptions options;
  options.queue = o.queue;
  options.dead_letter_queue = o.dead_letter_queue;
  options.max_tasks = o.max_tasks;
  if (absl::Status s = worker::ApplyWorkerEnv(options); !s.ok()) {
    EBB_LOG_ERROR("{}", std::string(s.message()));
    return kExitUsage;
  }
  if (o.attempt_limit > 0) options.attempt_limit = o.attempt_limit;
  if (!o.retry_backoff.empty()) {
    auto backoff = worker::ParseBackoff("--retry-backoff", o.retry_backoff);
    if (!backoff.ok()) {
      EBB_LOG_ERROR("{}", std::string(backoff.status().message()));
      return kExitUsage;
    }
    options.retry_backoff = *backoff;
  }
  if (o.take_timeout_s > 0)
    options.take_timeout = absl::Seconds(o.take_timeout_s);
  options.on_ready = [] {
    if (absl::Status s = worker::NotifyReadyFromEnv(); !s.ok()) {
      EBB_LOG_WARN("could not report ready: {}", s.ToString());
    }
  };

  auto store = storage::OpenObjectStore(o.store);
  if (!store.ok()) {
    EBB_LOG_ERROR("object store: {}", std::string(store.status().message()));
    return kExitFailure;
  }
  auto model = make_model(o.model);
  if (!model.ok()) {
    EBB_LOG_ERROR("model {}: {}", o.model.model,
                  std::string(model.status().message()));
    return absl::IsInvalidArgument(model.status()) ? kExitUsage : kExitFailure;
  }
  absl::StatusOr<std::unique_ptr<queue::MessageQueue>> mq =
      absl::UnknownError("");
  queue::HttpMessageQueue* http_queue = nullptr;  // to interrupt on a stop
  if (!o.queue_url.empty()) {
    queue::HttpQueueOptions hopts;
    hopts.base_url = o.queue_url;
    hopts.token = o.token;
    // Ride out a restart of `ebb up` (EBB_QUEUE_RETRY_*: queue/http/retry.h).
    auto retry = queue::WorkerRetryPolicyFromEnv();
    if (!retry.ok()) {
      EBB_LOG_ERROR("{}", std::string(retry.status().message()));
      return kExitUsage;
    }
    hopts.retry = *retry;
    auto h = queue::HttpMessageQueue::Create(hopts);
    if (h.ok()) {
      http_queue = h->get();
      mq = std::unique_ptr<queue::MessageQueue>(std::move(h).value());
    } else {
      mq = h.status();
    }
  } else {
    mq = ConnectWithBackoff(o.amqp_url);
  }
  if (!mq.ok()) {
    EBB_LOG_ERROR("{}", MaskUrlCredentials(std::string(mq.status().message())));
    return kExitFailure;
  }

  worker::Worker w(**mq, **store, **model, *Clock::Real(), options);
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGUSR1) return;  // woken to exit
    EBB_LOG_INFO(
        "{}: taking no more requests; one in inference is handed back unless "
        "it finishes within {}",
        sig == SIGTERM ? "SIGTERM" : "SIGINT",
        absl::FormatDuration(options.finish_within));
    w.RequestStop();
    if (http_queue != nullptr) http_queue->Interrupt();
  });
  auto handled = w.Run();
  // Wake the signal thread so it can be joined.
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  if (absl::Status s = worker::WriteOutcome(w.stats()); !s.ok()) {
    EBB_LOG_WARN("{}", std::string(s.message()));
  }
  if (!handled.ok()) {
    EBB_LOG_ERROR("worker: {}",
                  MaskUrlCredentials(std::string(handled.status().message())));
    return kExitFailure;
  }
  EBB_LOG_INFO("worker: handled {} request(s); exiting", *handled);
  return kExitOk;
}

}  // namespace ebb::cli
