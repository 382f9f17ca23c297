// SPDX-License-Identifier: Apache-2.0
//
// File: worker/worker.h
//
// Worker: the loop inside `ebb worker`. It loads the model, reports ready,
// then takes task messages one at a time (prefetch 1) and for each one
// renders the images, stores "<id>-1.png".."<id>-<count>.png" and then the
// record "<id>.json", and only then acks the message (DESIGN.md "Delivery
// guarantee"). The cli wires the concrete queue, store and model, and handles
// signals (RequestStop) and the grace period.
//
// What happens to a message, in order (attempts: worker/attempts.h):
//  1. Attempts are counted before anything parses the body. A delivery whose
//     earlier holder died (redelivered / x-delivery-count) counts those as
//     attempts, with last error "worker died while processing (redelivered)";
//     when the limit is not reached it is republished at once (with the new
//     x-ebb-attempt and the retry delay) and acked, and the worker keeps
//     taking. So a message that crashes the worker on every try (a parser
//     bug, an abort in the model) is dead-lettered after attempt_limit
//     crashes, like any other failure.
//  2. attempts >= attempt_limit: dead letter with the last error ("gave up
//     after N attempt(s)"), plus a failed record when an id is known (AMQP
//     message_id, else the body's "id" read within the JSON limits); a done
//     record instead acks it as done. Counts as a failed task.
//  3. Body invalid (over kMaxBodyBytes, nested deeper than kMaxJsonDepth, not
//     JSON, limits violated; see task.h): dead-lettered at once (never
//     retried) to `dead_letter_queue` with the reason, plus a failed record
//     when the body has a usable id. A dead letter without an id is given
//     "msg-<hash of the body>" (queue/dead_letters.h DerivedMessageId), so it
//     can be replayed or discarded by id. Not a task: the worker keeps
//     taking.
//  4. No id (body "id", else AMQP message_id): republished to the same queue
//     with a fresh UUID in both the body and message_id (same headers), then
//     the original is acked. Not a task: the worker keeps taking, usually
//     picking up the republished copy. A redelivery of that copy keeps its id,
//     so results are never duplicated under two ids. (A crash between the
//     republish and the ack can leave one extra copy; at-least-once.)
//  5. A record "<id>.json" with status done already exists: acked without
//     work (a redelivery after a crash between record and ack). Counts as done.
//  5b. Cancelled or deleted (worker/control.h): with a tombstone
//     "<id>.deleted" the message is acked and dropped, nothing stored; with a
//     cancel marker "<id>.cancel" a record with status "cancelled" is stored
//     (unless one exists), then the message is acked. Never requeued.
//  6. Stop requested before processing starts, or during inference when the
//     request would not finish within finish_within: republished unchanged
//     and acked, so the next holder does not see it as redelivered and no
//     attempt is used (falls back to Nack with requeue if the republish
//     fails); Run returns.
//  7. Process. Image n uses seed+n-1, where the seed is the task's or
//     DeriveSeed(id), so a retry writes the same bytes under the same keys.
//     While it runs, a RequestMonitor (worker/request_monitor.h) writes
//     "<id>.progress" at most once per control_interval and watches for the
//     markers of 5b: once one is seen the model stops at its next step and
//     the request is dropped as in 5b (images already stored are removed).
//     Success: record (status done) last, then ack; a tombstone found right
//     after the record was stored (a DELETE racing the end) removes the
//     record and images again, so a deleted result never stays. Failure (model
//     or store): a failure that cannot succeed on a retry (attempts.h
//     IsPermanentFailure: a refused prompt, a model this worker does not
//     serve) fails for good at once; otherwise, with attempts+1 <
//     attempt_limit, the message is republished with x-ebb-attempt+1,
//     x-ebb-last-error and a delay of retry_backoff * 2^(attempt-1) (at most
//     retry_backoff_max), and acked (a retried task); otherwise as in 2.
// The attempt number agrees everywhere: the record's "attempt", the dead
// letter's x-ebb-attempt and the logs all give the attempts made (the one
// that failed last included), attempt_limit at most.
//
// Run returns an error (after handing the held message back with Nack and
// requeue where it can) when the broker fails (Take, Publish, Ack) or when a
// failed record cannot be stored; the broker then redelivers. Riding out a
// broker outage is the queue's job (queue/http retries); an ack refused
// because the lease was lost after the done record was stored counts as done
// (the other copy settles it).
//
// Threading: Run on one thread; RequestStop from any thread (signal handlers
// should set a flag that a thread forwards here). The queue, store, model and
// clock are borrowed and must outlive the Worker.
#ifndef EBB_WORKER_WORKER_H_
#define EBB_WORKER_WORKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "inference/text_to_image.h"
#include "queue/message_queue.h"
#include "storage/object_store.h"
#include "worker/record.h"
#include "worker/task.h"

namespace ebb::worker {

struct WorkerOptions {
  std::string queue = "tasks";
  // "" = "<queue>.dead" (queue/dead_letters.h DeadLetterQueueName).
  std::string dead_letter_queue;
  // Attempts per request before it is dead-lettered: KEDA's backoffLimit + 1
  // (the seed's backoffLimit 4 gives 5). Env EBB_ATTEMPT_LIMIT.
  int attempt_limit = 5;
  // Delay before the retry after attempt n: retry_backoff * 2^(n-1), at most
  // retry_backoff_max; zero retries at once. Env EBB_RETRY_BACKOFF (a
  // duration: "5s", "250ms", "0"), flag --retry-backoff.
  absl::Duration retry_backoff = absl::Seconds(5);
  absl::Duration retry_backoff_max = absl::Minutes(5);
  // With max_tasks > 0: how long the queue may stay empty before Run returns.
  absl::Duration take_timeout = absl::Seconds(10);
  // Take is called in slices of at most this long, so RequestStop is seen
  // within it while the queue is empty.
  absl::Duration stop_check_interval = absl::Seconds(1);
  // Recorded in results and logs. "" = env EBB_JOB_NAME, else the hostname
  // (ApplyWorkerEnv fills it; Run uses "worker" if still empty).
  std::string worker_name;
  // Tasks (done, failed or retried) before Run returns: 1 = job mode (one
  // request per job, as KEDA's ScaledJob expects), 0 = until RequestStop.
  int max_tasks = 1;
  // Called once after the model has loaded, before the first Take. The cli
  // passes NotifyReadyFromEnv (below).
  std::function<void()> on_ready;
  // A stop requested during inference (worker_stop.cc): the request is
  // finished when the model's step reports say it will be done within this,
  // else the model is stopped at its next step and the request handed back
  // as in 6. Env EBB_STOP_FINISH_WITHIN_MS. Keep it well under the
  // executor's termination grace (30 s by default).
  absl::Duration finish_within = absl::Seconds(5);
  // How often a running request's progress is written and its cancel /
  // tombstone markers are looked for (worker/request_monitor.h). Env
  // EBB_CONTROL_INTERVAL_MS.
  absl::Duration control_interval = absl::Seconds(1);
};

// Applies the environment to `options`: EBB_ATTEMPT_LIMIT (an integer >= 1,
// else InvalidArgument), EBB_STOP_FINISH_WITHIN_MS (an integer >= 0, else
// InvalidArgument), EBB_RETRY_BACKOFF (a duration, else
// InvalidArgument) and, when worker_name is empty, EBB_JOB_NAME or the
// hostname.
absl::Status ApplyWorkerEnv(WorkerOptions& options);

// Says the model is loaded, to whoever asked through the environment:
//   * EBB_READY_FD (the local executor's `readiness: notify`): writes
//     "READY=1\n" to that file descriptor, closes it and unsets the variable;
//     InvalidArgument when it is not a descriptor number;
//   * EBB_READY_FILE (a pod's readiness probe, e.g. `exec: [test, -f,
//     /tmp/ebb-ready]`): creates that file (atomically, content "ready\n").
// OK (nothing done) for a variable that is unset or empty; Internal when a
// write fails (both are tried; the descriptor's error is returned first).
absl::Status NotifyReadyFromEnv();

// What one Run did, by outcome. Read after Run returns.
struct WorkerStats {
  int done = 0;          // records written with status done
  int already_done = 0;  // acked because a done record existed (also in done)
  int failed = 0;        // failed for good: record failed + dead letter
  int retried = 0;       // failed attempts handed back with attempt+1
  int invalid = 0;       // invalid bodies dead-lettered
  int ids_assigned = 0;  // id-less messages republished with a new id
  int redelivered = 0;   // redeliveries republished with attempt+1
  int handed_back = 0;   // handed back unchanged because of a stop
  int cancelled = 0;     // dropped because of a cancel marker (also a task)
  int deleted = 0;       // dropped because of a tombstone (also a task)
  int64_t model_load_ms = 0;
};

class RequestMonitor;

class Worker {
 public:
  Worker(queue::MessageQueue& mq, storage::ObjectStore& store,
         inference::TextToImage& model, Clock& clock, WorkerOptions options);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Loads the model, reports ready, then handles messages as described above
  // until max_tasks tasks were handled, the queue stayed empty for
  // take_timeout (max_tasks > 0 only), or RequestStop. Returns the number of
  // tasks handled (done + failed + retried). Errors: the model's Load error,
  // or a broker / store failure as described in the file comment.
  absl::StatusOr<int> Run();

  // Asks Run to return before taking another message. A task in inference
  // is finished if it will be within options.finish_within, else handed back
  // unchanged (no attempt used) at the model's next step; a task past
  // inference (storing) is finished. Thread-safe.
  void RequestStop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }

  const WorkerStats& stats() const { return stats_; }

 private:
  enum class Outcome { kTask, kNotATask, kStopped };

  absl::StatusOr<std::optional<queue::Delivery>> TakeNext();
  absl::StatusOr<Outcome> Handle(const queue::Delivery& d);
  // Steps 1 and 2 of the file comment (worker_attempts.cc): a death counted
  // and the message republished, or out of attempts. nullopt = go on.
  absl::StatusOr<std::optional<Outcome>> HandleAttempts(
      const queue::Delivery& d, int* attempts_made, absl::Time taken_at);
  absl::StatusOr<Outcome> Process(const queue::Delivery& d, const Task& task,
                                  int attempts_before, absl::Time taken_at);
  // Renders, encodes and stores every image of `rec.task`, filling
  // rec.images and the timings. `*refused` is set when the model refused the
  // request for good (attempts.h IsPermanentFailure of its Generate error).
  absl::Status Render(ResultRecord& rec, bool* refused);
  // Failed record (when rec.task.id is set) and dead letter with
  // x-ebb-attempt = rec.attempt. Counts as failed; kTask on success.
  absl::StatusOr<Outcome> FailForGood(const queue::Delivery& d,
                                      ResultRecord rec,
                                      const std::string& error);
  // Publishes `d` again to its queue with `body`, `message_id` and `headers`
  // (broker-set headers removed) after `delay`, then acks `d`. On a publish
  // failure `d` is nacked with requeue.
  absl::Status Republish(const queue::Delivery& d, const std::string& body,
                         const std::string& message_id,
                         std::map<std::string, std::string> headers,
                         absl::Duration delay = absl::ZeroDuration());
  // Republishes `d` for its next attempt: x-ebb-attempt = `attempts_made`,
  // x-ebb-last-error = `error`, delayed by the backoff.
  absl::Status Retry(const queue::Delivery& d, int attempts_made,
                     const std::string& error);
  // Dead-letters `d` with x-ebb-attempt = `attempt` (acks it).
  absl::Status DeadLetterAt(const queue::Delivery& d, int attempt,
                            const std::string& reason);
  ResultRecord NewRecord(const Task& task, const queue::Delivery& d,
                         int attempt, absl::Time taken_at) const;
  // Acks `d` whose done record is stored (worker_settle.cc). A refused ack
  // (FailedPrecondition: the lease expired during an outage and the message
  // went to another worker) is OK: that copy is acked as a duplicate or
  // rewrites the same keys. Other errors are annotated with `what`.
  absl::Status AckStored(const queue::Delivery& d, const std::string& id,
                         const char* what);
  // Stop handling during inference (worker_stop.cc): the progress callback
  // for one image of request `id` started at `image_started`, with
  // `images_after` more images to go.
  inference::ProgressCallback StopWatch(const std::string& id, int images_after,
                                        absl::Time image_started);
  // Hands `d` back unchanged after a stop: republished as it came and acked
  // (Nack with requeue if the republish fails), so no attempt is used.
  absl::Status HandBack(const queue::Delivery& d, const std::string& id);
  // Step 5b (worker_control.cc): nullopt when `task` has neither marker.
  absl::StatusOr<std::optional<Outcome>> CheckControl(const queue::Delivery& d,
                                                      const Task& task,
                                                      int attempt,
                                                      absl::Time taken_at);
  // Drops `rec`'s request as cancelled (a cancelled record) or deleted
  // (nothing stored); removes the images in rec.images; acks `d`.
  absl::StatusOr<Outcome> Drop(const queue::Delivery& d, ResultRecord rec,
                               bool deleted);
  // After the done record of `rec` is stored: when the tombstone exists,
  // removes the record and images again. True when it did.
  bool UndoIfDeleted(const ResultRecord& rec);
  // Hands `d` back (Nack, requeue) and returns `error` annotated.
  absl::Status GiveBack(const queue::Delivery& d, const absl::Status& error);

  queue::MessageQueue& mq_;
  storage::ObjectStore& store_;
  inference::TextToImage& model_;
  Clock& clock_;
  WorkerOptions options_;
  std::atomic<bool> stop_{false};
  WorkerStats stats_;
  bool load_attributed_ = false;  // model_load_ms went into a record
  bool finishing_ = false;        // a stop was seen and the task will finish
  RequestMonitor* monitor_ = nullptr;  // of the request in Render
};

}  // namespace ebb::worker

#endif  // EBB_WORKER_WORKER_H_
