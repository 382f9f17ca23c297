// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/status_writer.h
//
// Writes what KEDA's operator writes about each ScaledJob it runs: the
// `.status.conditions` of conditions.h (and `status.lastActiveTime`) and
// core/v1 Events (event_recorder.h), with KEDA's reasons
// (pkg/eventreason/eventreason.go; reference §2.7, §4.2):
//   KEDAScalersStarted   "Started scalers watch", when a loop (re)starts
//   KEDAJobsCreated      "Created %d jobs" (the number attempted, as KEDA)
//   KEDAJobCreateFailed  Warning, when creates failed, with the first error
//   ScaledJobActive / ScaledJobInactive   on transitions of Active
//   ScaledJobReady       when the ScaledJob checks out again (or first)
//   ScaledJobCheckFailed Warning, once per generation and message
//   ScaledJobPaused / ScaledJobUnpaused   on transitions of the annotation
//   ScaledJobDeleted     when the ScaledJob is gone
//
// Status is written with a JSON merge PATCH of the status subresource
// (PATCH /apis/keda.sh/v1alpha1/namespaces/NS/scaledjobs/NAME/status, as
// KEDA's kedastatus.SetStatusConditions patches with MergeFrom), and only
// when a condition's status, reason or message differs from what is stored:
// no API call per poll at steady state. A ScaledJob first seen with
// conditions (written by KEDA or an earlier ebb) is not rewritten unless they
// differ.
//
// API calls run on the writer's own thread, never on a scale loop's: Sync and
// Observe only update memory and queue work. A failed write is retried after
// `retry` and logged at most once per kind (status, event) per `log_every`;
// it never stops scaling. At most `max_queued_events` events wait; older
// ones are dropped (counted). Secret values never reach a message: check
// messages come from spec's scrubbed diagnostics, errors are masked by the
// controller.
//
// Threading: every method may be called from any thread concurrently.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_STATUS_WRITER_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_STATUS_WRITER_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "executors/kubernetes/client/kube_client.h"
#include "executors/kubernetes/cluster/conditions.h"
#include "executors/kubernetes/cluster/event_recorder.h"
#include "executors/kubernetes/cluster/object_manifests.h"

namespace ebb::executors::kubernetes::cluster {

// One poll of a ScaledJob's scale loop, as the controller reports it
// (controller::PollRecord, reduced to what status and events need).
struct PollObservation {
  absl::Time time = absl::InfinitePast();
  bool start = false;           // the first poll of a (re)started loop
  bool paused = false;          // nothing was done: paused
  bool trigger_error = false;   // some trigger failed
  bool trigger_active = false;  // some trigger answered active
  bool active = false;          // the ScaledJob is active (min > 0 forces it)
  int created = 0;
  int create_failures = 0;
  std::string create_error;  // the first create error, masked
};

struct StatusWriterOptions {
  EventRecorderOptions events;
  absl::Duration retry = absl::Seconds(10);
  absl::Duration log_every = absl::Minutes(1);
  size_t max_queued_events = 1000;
};

class ScaledJobStatusWriter {
 public:
  // `client` must outlive the writer.
  explicit ScaledJobStatusWriter(KubeClient* client,
                                 StatusWriterOptions options = {});
  ~ScaledJobStatusWriter();  // Stop()s
  ScaledJobStatusWriter(const ScaledJobStatusWriter&) = delete;
  ScaledJobStatusWriter& operator=(const ScaledJobStatusWriter&) = delete;

  // Starts the writer's thread. Start after Stop starts afresh: what was
  // learnt before is forgotten (another instance may have written since).
  void Start();
  // Stops the thread after the call in flight; queued work is dropped.
  void Stop();

  // The ScaledJobs as the API server has them now (cluster_source.h): check
  // failures, paused annotations, generations, deletions.
  void Sync(const ClusterManifests& state);
  // One poll of ScaledJob `name` (called from its loop's thread; quick).
  void Observe(const std::string& name, const PollObservation& poll);

  // Waits until nothing is queued or being written (tests). True when idle.
  bool WaitIdle(absl::Duration timeout);

  struct Stats {
    int64_t status_writes = 0;
    int64_t status_failures = 0;
    int64_t event_failures = 0;
    int64_t events_dropped = 0;  // queue full or spam filter
  };
  Stats stats() const;
  const EventRecorder& recorder() const { return recorder_; }

 private:
  struct Tracked {
    ScaledJobIdentity id;
    Conditions desired;
    Conditions written;  // as stored on the server, as far as we know
    bool dirty = false;
    absl::Time next_try = absl::InfinitePast();
    absl::Time last_active = absl::InfinitePast();
    bool failing = false;
    std::string failed_message;
    int64_t reported_generation = -1;
  };
  struct QueuedEvent {
    InvolvedObject object;
    std::string type, reason, message;
  };
  void Run();
  void Queue(const Tracked& t, const std::string& type,
             const std::string& reason, const std::string& message);
  void MarkDirty(Tracked* t);
  // Logs `text` unless `kind` was logged within log_every.
  void LogFailure(const std::string& kind, const std::string& text);
  void WriteStatus(const std::string& key);

  KubeClient* const client_;
  const StatusWriterOptions options_;
  EventRecorder recorder_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Tracked> tracked_;  // by "ns/name"
  std::deque<QueuedEvent> events_;
  bool busy_ = false;  // the thread is writing
  bool stop_ = true;
  std::map<std::string, absl::Time> last_logged_;  // failure kind -> time
  Stats stats_;
  std::thread thread_;
};

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_STATUS_WRITER_H_
