// SPDX-License-Identifier: Apache-2.0
#include "worker/worker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/json_limits.h"
#include "common/log.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "queue/dead_letters.h"
#include "worker/attempts.h"
#include "worker/request_monitor.h"

namespace ebb::worker {
namespace {

using queue::Delivery;

std::optional<int64_t> IntHeader(const Delivery& d, const char* name) {
  auto it = d.headers.find(name);
  int64_t v = 0;
  if (it == d.headers.end() || !absl::SimpleAtoi(it->second, &v)) {
    return std::nullopt;
  }
  return v;
}

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

}  // namespace

Worker::Worker(queue::MessageQueue& mq, storage::ObjectStore& store,
               inference::TextToImage& model, Clock& clock,
               WorkerOptions options)
    : mq_(mq),
      store_(store),
      model_(model),
      clock_(clock),
      options_(std::move(options)) {
  if (options_.dead_letter_queue.empty()) {
    options_.dead_letter_queue = queue::DeadLetterQueueName(options_.queue);
  }
  if (options_.worker_name.empty()) options_.worker_name = "worker";
  options_.attempt_limit = std::max(1, options_.attempt_limit);
  options_.max_tasks = std::max(0, options_.max_tasks);
  options_.stop_check_interval =
      std::max(options_.stop_check_interval, absl::Milliseconds(1));
}

absl::StatusOr<int> Worker::Run() {
  const absl::Time load_start = clock_.Now();
  EBB_RETURN_IF_ERROR(Annotate(model_.Load(), "while loading the model"));
  stats_.model_load_ms = Ms(clock_.Now() - load_start);
  EBB_LOG_INFO("worker {}: model {} loaded in {} ms; taking from queue {}",
               options_.worker_name, model_.ModelName(), stats_.model_load_ms,
               options_.queue);
  if (options_.on_ready) options_.on_ready();

  int tasks = 0;
  while (options_.max_tasks == 0 || tasks < options_.max_tasks) {
    if (stop_requested()) break;
    EBB_ASSIGN_OR_RETURN(std::optional<Delivery> d, TakeNext());
    if (!d.has_value()) break;
    EBB_ASSIGN_OR_RETURN(Outcome outcome, Handle(*d));
    if (outcome == Outcome::kStopped) break;
    if (outcome == Outcome::kTask) ++tasks;
  }
  EBB_LOG_INFO(
      "worker {} finished: {} task(s) (done {}, failed {}, retried {}), {} "
      "invalid, {} ids assigned, {} redelivered{}",
      options_.worker_name, tasks, stats_.done, stats_.failed, stats_.retried,
      stats_.invalid, stats_.ids_assigned, stats_.redelivered,
      stop_requested() ? "; stop requested" : "");
  return tasks;
}

absl::StatusOr<std::optional<Delivery>> Worker::TakeNext() {
  absl::Duration idle = absl::ZeroDuration();
  while (!stop_requested()) {
    absl::Duration slice = options_.stop_check_interval;
    if (options_.max_tasks > 0) {
      slice = std::min(slice, options_.take_timeout - idle);
    }
    slice = std::max(slice, absl::ZeroDuration());
    absl::StatusOr<std::optional<Delivery>> d = mq_.Take(options_.queue, slice);
    if (!d.ok()) {
      return Annotate(d.status(),
                      absl::StrCat("while taking from queue ", options_.queue));
    }
    if (d->has_value()) return d;
    idle += slice;
    if (options_.max_tasks > 0 && idle >= options_.take_timeout) {
      EBB_LOG_INFO("worker {}: queue {} empty for {}; exiting",
                   options_.worker_name, options_.queue,
                   absl::FormatDuration(options_.take_timeout));
      break;
    }
  }
  return std::optional<Delivery>();
}

absl::StatusOr<Worker::Outcome> Worker::Handle(const Delivery& d) {
  const absl::Time taken_at = clock_.Now();

  // 1-2. Attempts, counted before anything parses the body.
  int attempts = 0;
  EBB_ASSIGN_OR_RETURN(std::optional<Outcome> counted,
                       HandleAttempts(d, &attempts, taken_at));
  if (counted.has_value()) return *counted;

  // 3. Invalid body: dead letter, with a failed record where an id is known.
  // Steps and guidance the message leaves out are the model's defaults.
  const inference::GenerationDefaults model_defaults = model_.defaults();
  absl::StatusOr<Task> parsed =
      ParseTask(d.body, {model_defaults.steps, model_defaults.guidance_scale});
  if (!parsed.ok()) {
    const std::string reason(parsed.status().message());
    EBB_LOG_WARN("worker {}: message {} is invalid: {}", options_.worker_name,
                 d.message_id.empty() ? "(no message_id)" : d.message_id,
                 reason);
    Task salvaged = SalvageTask(d.body);
    if (salvaged.id.empty() && ValidateTaskId(d.message_id).ok()) {
      salvaged.id = d.message_id;
    }
    // Never overwrite a finished request's record with a stray copy's error.
    absl::StatusOr<std::string> existing =
        salvaged.id.empty() ? absl::NotFoundError("")
                            : store_.Get(RecordKey(salvaged.id));
    if (!salvaged.id.empty() && !(existing.ok() && IsDoneRecord(*existing))) {
      ResultRecord rec = NewRecord(salvaged, d, attempts + 1, taken_at);
      rec.error = reason;
      rec.created_at = clock_.Now();
      absl::Status put = store_.Put(RecordKey(salvaged.id), RecordJson(rec),
                                    "application/json");
      if (!put.ok()) {
        return GiveBack(d, Annotate(put,
                                    "while storing the failed record of "
                                    "an invalid message"));
      }
    }
    absl::Status dead = DeadLetterAt(d, attempts + 1, reason);
    if (!dead.ok()) return GiveBack(d, dead);
    ++stats_.invalid;
    return Outcome::kNotATask;
  }
  Task task = *std::move(parsed);

  // 4. No id: give it one, so every later copy shares it.
  if (task.id.empty() && ValidateTaskId(d.message_id).ok()) {
    task.id = d.message_id;
  }
  if (task.id.empty()) {
    const std::string id = NewUuid();
    absl::StatusOr<std::string> body = WithId(d.body, id);
    if (!body.ok()) return GiveBack(d, body.status());
    EBB_RETURN_IF_ERROR(Republish(d, *body, id, d.headers));
    EBB_LOG_INFO("worker {}: message without id republished as request {}",
                 options_.worker_name, id);
    ++stats_.ids_assigned;
    return Outcome::kNotATask;
  }

  // 5. Already finished (a redelivery after the record was written).
  absl::StatusOr<std::string> existing = store_.Get(RecordKey(task.id));
  if (existing.ok() && IsDoneRecord(*existing)) {
    EBB_LOG_INFO("worker {}: request {} already done; acking the duplicate",
                 options_.worker_name, task.id);
    EBB_RETURN_IF_ERROR(AckStored(d, task.id, "while acking a duplicate"));
    ++stats_.done;
    ++stats_.already_done;
    return Outcome::kTask;
  }
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    EBB_LOG_WARN("worker {}: cannot read the record of {} ({}); processing",
                 options_.worker_name, task.id, existing.status().ToString());
  }

  // 5b. Cancelled or deleted before it ran (worker_control.cc).
  EBB_ASSIGN_OR_RETURN(std::optional<Outcome> controlled,
                       CheckControl(d, task, attempts + 1, taken_at));
  if (controlled.has_value()) return *controlled;

  // 6. Stop requested while the message was on its way: hand it back as is.
  if (stop_requested()) {
    EBB_RETURN_IF_ERROR(HandBack(d, task.id));
    return Outcome::kStopped;
  }

  // 7. Do the work.
  return Process(d, task, attempts, taken_at);
}

absl::StatusOr<Worker::Outcome> Worker::Process(const Delivery& d,
                                                const Task& task,
                                                int attempts_before,
                                                absl::Time taken_at) {
  const int attempt = attempts_before + 1;
  ResultRecord rec = NewRecord(task, d, attempt, taken_at);
  // The model load is the cold start of the first request this worker runs.
  rec.model_load_ms = load_attributed_ ? 0 : stats_.model_load_ms;
  load_attributed_ = true;
  EBB_LOG_INFO(
      "worker {}: request {} attempt {}/{}: {} image(s) {}x{}, {} "
      "steps, seed {}",
      options_.worker_name, task.id, attempt, options_.attempt_limit,
      task.count, task.width, task.height, task.steps, rec.seed);
  if (!task.model.empty() && task.model != model_.ModelName()) {
    return FailForGood(d, rec,
                       absl::StrCat("not retried: model \"", task.model,
                                    "\" is not served by this worker (it "
                                    "serves \"",
                                    model_.ModelName(), "\")"));
  }
  finishing_ = false;
  bool refused = false;
  RequestMonitor monitor(store_, clock_, task.id, options_.worker_name,
                         task.count, task.steps, options_.control_interval);
  monitor.Start();
  monitor_ = &monitor;
  absl::Status s = Render(rec, &refused);
  monitor_ = nullptr;
  if (monitor.cancelled() || monitor.deleted()) {  // worker_control.cc
    monitor.Stop();
    if (absl::IsCancelled(s)) return Drop(d, rec, monitor.deleted());
  }
  if (absl::IsCancelled(s) && stop_requested()) {  // worker_stop.cc
    monitor.Stop();
    EBB_RETURN_IF_ERROR(HandBack(d, task.id));
    return Outcome::kStopped;
  }
  if (s.ok()) {
    rec.done = true;
    rec.created_at = clock_.Now();
    s = Annotate(
        store_.Put(RecordKey(task.id), RecordJson(rec), "application/json"),
        "while storing the record");
  }
  monitor.Stop();
  if (s.ok() && UndoIfDeleted(rec)) {
    EBB_RETURN_IF_ERROR(
        AckStored(d, task.id, "while acking a deleted request"));
    ++stats_.deleted;
    return Outcome::kTask;
  }
  if (s.ok()) {
    EBB_RETURN_IF_ERROR(AckStored(d, task.id, "while acking a done request"));
    ++stats_.done;
    EBB_LOG_INFO(
        "worker {}: request {} done: {} image(s), inference {} ms, "
        "upload {} ms, queue wait {}",
        options_.worker_name, task.id, task.count, rec.inference_ms,
        rec.upload_ms,
        rec.queue_wait_ms.has_value() ? absl::StrCat(*rec.queue_wait_ms, " ms")
                                      : std::string("unknown"));
    return Outcome::kTask;
  }
  const std::string error(s.message());
  if (refused) {
    return FailForGood(d, rec,
                       absl::StrCat("not retried (it cannot succeed) after "
                                    "attempt ",
                                    attempt, ": ", error));
  }
  if (attempt < options_.attempt_limit) {
    EBB_RETURN_IF_ERROR(Retry(d, attempt, error));
    EBB_LOG_WARN(
        "worker {}: request {} attempt {}/{} failed: {}; retry in {}",
        options_.worker_name, task.id, attempt, options_.attempt_limit, error,
        absl::FormatDuration(RetryDelay(attempt, options_.retry_backoff,
                                        options_.retry_backoff_max)));
    ++stats_.retried;
    return Outcome::kTask;
  }
  return FailForGood(d, rec,
                     absl::StrCat("gave up after ", attempt,
                                  " attempt(s); last error: ", error));
}

absl::Status Worker::Render(ResultRecord& rec, bool* refused) {
  const Task& task = rec.task;
  absl::Duration inference, upload;
  for (int n = 1; n <= task.count; ++n) {
    inference::GenerateRequest req;
    req.prompt = task.prompt;
    req.negative_prompt = task.negative_prompt;
    req.seed = rec.seed + static_cast<uint64_t>(n - 1);
    req.steps = task.steps;
    req.width = task.width;
    req.height = task.height;
    req.guidance_scale = task.guidance_scale;
    req.scheduler = task.scheduler;
    const std::string where = absl::StrCat("image ", n, " of ", task.count);
    absl::Time t0 = clock_.Now();
    req.on_step = [this, n, stop = StopWatch(task.id, task.count - n, t0)](
                      const inference::StepProgress& p) {
      if (monitor_ != nullptr) {
        monitor_->Report(n, p.step, p.steps);
        if (monitor_->cancelled() || monitor_->deleted()) {
          return inference::StepAction::kStop;
        }
      }
      return stop(p);
    };
    absl::StatusOr<inference::Image> image = model_.Generate(req);
    if (!image.ok()) {
      *refused = IsPermanentFailure(image.status());
      return Annotate(image.status(), absl::StrCat("while generating ", where));
    }
    absl::StatusOr<std::string> png = inference::EncodePng(*image);
    if (!png.ok()) {
      return Annotate(png.status(), absl::StrCat("while encoding ", where));
    }
    absl::Time t1 = clock_.Now();
    inference += t1 - t0;
    AddGeneration(image->info, &rec.generation);
    const std::string key = ImageKey(task.id, n);
    EBB_RETURN_IF_ERROR(Annotate(store_.Put(key, *png, "image/png"),
                                 absl::StrCat("while storing ", key)));
    upload += clock_.Now() - t1;
    rec.images.push_back(key);
  }
  rec.inference_ms = Ms(inference);
  rec.upload_ms = Ms(upload);
  return absl::OkStatus();
}

absl::StatusOr<Worker::Outcome> Worker::FailForGood(const Delivery& d,
                                                    ResultRecord rec,
                                                    const std::string& error) {
  rec.done = false;
  rec.error = error;
  rec.images.clear();
  rec.created_at = clock_.Now();
  if (!rec.task.id.empty()) {
    absl::Status put =
        store_.Put(RecordKey(rec.task.id), RecordJson(rec), "application/json");
    if (!put.ok()) {
      return GiveBack(d, Annotate(put, "while storing a failed record"));
    }
    // A DELETE that came meanwhile wins: no record stays, and a request
    // its user deleted is not dead-lettered either.
    if (UndoIfDeleted(rec)) {
      EBB_RETURN_IF_ERROR(
          AckStored(d, rec.task.id, "while acking a deleted request"));
      ++stats_.deleted;
      return Outcome::kTask;
    }
  }
  absl::Status dead = DeadLetterAt(d, rec.attempt, error);
  if (!dead.ok()) return GiveBack(d, dead);
  EBB_LOG_WARN("worker {}: request {} failed at attempt {}/{}: {}",
               options_.worker_name,
               rec.task.id.empty() ? "(no id)" : rec.task.id, rec.attempt,
               options_.attempt_limit, error);
  ++stats_.failed;
  return Outcome::kTask;
}

absl::Status Worker::Republish(const Delivery& d, const std::string& body,
                               const std::string& message_id,
                               std::map<std::string, std::string> headers,
                               absl::Duration delay) {
  queue::OutgoingMessage out;
  out.body = body;
  out.message_id = message_id;
  out.headers = std::move(headers);
  queue::StripBrokerHeaders(out.headers);
  out.delay = delay;
  absl::Status pub =
      mq_.Publish(d.queue.empty() ? options_.queue : d.queue, out);
  if (!pub.ok()) return GiveBack(d, Annotate(pub, "while republishing"));
  return Annotate(mq_.Ack(d), "while acking a republished message");
}

ResultRecord Worker::NewRecord(const Task& task, const Delivery& d, int attempt,
                               absl::Time taken_at) const {
  ResultRecord rec;
  rec.task = task;
  rec.seed = task.seed.value_or(DeriveSeed(task.id));
  rec.model = model_.ModelName();
  rec.attempt = attempt;
  rec.worker = options_.worker_name;
  if (std::optional<int64_t> at = IntHeader(d, queue::kHeaderEnqueuedAtMs)) {
    rec.queue_wait_ms =
        std::max<int64_t>(0, absl::ToUnixMillis(taken_at) - *at);
  }
  return rec;
}

absl::Status Worker::GiveBack(const Delivery& d, const absl::Status& error) {
  absl::Status nack = mq_.Nack(d, /*requeue=*/true);
  if (!nack.ok()) {
    EBB_LOG_WARN(
        "worker {}: nack failed too ({}); the broker redelivers the "
        "message when the connection closes",
        options_.worker_name, nack.ToString());
  }
  EBB_LOG_ERROR("worker {}: {}", options_.worker_name, error.ToString());
  return error;
}

}  // namespace ebb::worker
