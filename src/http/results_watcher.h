// SPDX-License-Identifier: Apache-2.0
//
// File: http/results_watcher.h
//
// ResultsWatcher: live events (docs/api.md "Live events") from what every
// mode has, whatever the queue: the worker's results in the object store and
// the work queue's depth as the broker reports it. A background thread, every
// `interval` and on Wake():
//   - lists the store; each result record `<id>.json` that is new or changed
//     since the last round (by etag, size and modification time; only those are
//     read) gives a `request` event {"id", "status" (done|failed), "attempt",
//     "error"?} (when `request_events`), and a done record whose PNGs are all
//     listed gives one `images` event {"id", "images": [URL...]};
//   - each progress object `<id>.progress` (worker/control.h) that is new or
//     changed gives a `request` event {"id", "status": "running", "worker",
//     "progress": {"step", "steps", "image", "images", "updated_at"}} (when
//     `progress_events`; in every mode: no queue knows a worker's steps);
//   - with `work_queue` and `open_queue`, reads the depth of the work queue and
//     of its dead-letter queue and publishes a `queue` event {"queue",
//     "ready", "leased": null (the broker does not say), "dead"} when either
//     changed. A missing queue counts 0; a broken connection is reopened at
//     the next round.
//   - with `metrics`, each new done record adds its phases to the histograms
//     ebb_worker_{text_encode,denoise,decode,inference}_seconds{model}
//     (RecordPhaseMetrics). Workers are short-lived jobs with no /metrics of
//     their own: `ebb up` aggregates their records.
// Records present at Start() are not news: the first round only remembers
// them. A failed List publishes nothing (an unknown listing is not "every
// record gone").
//
// Threading: Start/Stop from one thread; Wake from any; PollOnce is
// serialized internally.
#ifndef EBB_HTTP_RESULTS_WATCHER_H_
#define EBB_HTTP_RESULTS_WATCHER_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "http/api_context.h"
#include "http/events.h"
#include "metrics/metrics.h"
#include "storage/object_store.h"

namespace ebb::http {

struct ResultsWatcherOptions {
  absl::Duration interval = absl::Milliseconds(500);
  // Publish `request` events for records (off where another source, the
  // embedded queue, already does).
  bool request_events = true;
  // Publish `request` events with the progress of running requests.
  bool progress_events = true;
  // Publish `queue` events for this queue and `<work_queue>.dead`, read
  // through `open_queue` ("" or no opener: none).
  std::string work_queue;
  QueueOpener open_queue;
  // Phase histograms from new done records (nullptr: none). Must outlive the
  // watcher.
  metrics::Registry* metrics = nullptr;
};

// Describes the phase histograms in `metrics` and observes the phases of the
// done record `record` (its text_encode_ms, denoise_ms, decode_ms and
// inference_ms, in seconds, per request; a phase that is null or absent is
// skipped), labelled with its model. Nothing for other records.
void RecordPhaseMetrics(metrics::Registry& metrics,
                        const nlohmann::json& record);

// The `request` event for a result record's text: {"id", "status", "attempt",
// "error"?}; nullopt when it is not a record with a string status. `id` is the
// key's id (`<id>.json`).
std::optional<nlohmann::json> RequestEventFromRecord(const std::string& id,
                                                     const std::string& text);

// The `request` event for a progress object's text (see above); nullopt when
// it is not one.
std::optional<nlohmann::json> ProgressEvent(const std::string& text);

class ResultsWatcher {
 public:
  // `store` and `hub` must outlive the watcher.
  ResultsWatcher(storage::ObjectStore& store, EventHub& hub,
                 ResultsWatcherOptions options);
  ~ResultsWatcher();  // Stop()s
  ResultsWatcher(const ResultsWatcher&) = delete;
  ResultsWatcher& operator=(const ResultsWatcher&) = delete;

  // Remembers what the store holds now (publishing nothing), then starts the
  // thread. Idempotent.
  void Start();
  // Wakes and joins the thread. Idempotent.
  void Stop();
  // Polls now rather than at the next interval (a publish, an ack).
  void Wake();
  // One round; the List error if any. The first round only remembers.
  absl::Status PollOnce();

 private:
  struct Seen {
    std::string etag;
    int64_t size = 0;
    absl::Time modified;
    bool images_sent = false;  // done and every image listed
  };
  void Run();
  void PollQueue();

  storage::ObjectStore& store_;
  EventHub& hub_;
  const ResultsWatcherOptions options_;

  std::mutex poll_mu_;  // serializes PollOnce; guards what follows
  bool primed_ = false;
  std::map<std::string, Seen> records_;  // "<id>.json" -> last version seen
  std::map<std::string, std::string> progress_;  // "<id>.progress" -> version
  std::unique_ptr<queue::MessageQueue> mq_;
  std::optional<nlohmann::json> last_queue_;
  bool queue_warned_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ebb::http

#endif  // EBB_HTTP_RESULTS_WATCHER_H_
