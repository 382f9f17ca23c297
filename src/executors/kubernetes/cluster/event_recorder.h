// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/event_recorder.h
//
// core/v1 Events about ScaledJobs, written as client-go's recorder writes
// them (k8s.io/client-go/tools/record: event.go, events_cache.go), so
// `kubectl describe scaledjob` and `kubectl get events` read them like
// KEDA's:
//   * POST /api/v1/namespaces/NS/events: name "<object>.<hex unix nanos>",
//     involvedObject (apiVersion, kind, namespace, name, uid,
//     resourceVersion), type Normal|Warning, reason, message, source.component
//     and reportingComponent "ebb", source.host and reportingInstance (this
//     host), firstTimestamp = lastTimestamp, count 1;
//   * aggregation: an identical event (same object uid, type, reason and
//     message) within `aggregate_window` (client-go: 10 minutes) is not
//     written again: its Event's count and lastTimestamp are updated with a
//     JSON merge PATCH (client-go uses a strategic merge patch; for these two
//     fields the result is the same). If that Event is gone (404: events
//     expire after an hour), a new one is created;
//   * spam filter: at most `burst` events per object, refilled at one per
//     `refill` (client-go's EventSourceObjectSpamFilter: 25, one per 5
//     minutes); events over it are dropped and counted in dropped().
// Messages longer than 1024 bytes are cut (events.k8s.io's limit for a note).
//
// Threading: Record may be called from any thread; calls are serialised.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_EVENT_RECORDER_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_EVENT_RECORDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "executors/kubernetes/client/kube_client.h"

namespace ebb::executors::kubernetes::cluster {

inline constexpr char kNormal[] = "Normal";
inline constexpr char kWarning[] = "Warning";

// The object an event is about.
struct InvolvedObject {
  std::string api_version = "keda.sh/v1alpha1";
  std::string kind = "ScaledJob";
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
};

struct EventRecorderOptions {
  std::string component = "ebb";
  std::string instance;  // "" = this host's name
  absl::Duration aggregate_window = absl::Minutes(10);
  int burst = 25;
  absl::Duration refill = absl::Minutes(5);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class EventRecorder {
 public:
  // `client` must outlive the recorder.
  EventRecorder(KubeClient* client, EventRecorderOptions options = {});

  // Writes (or aggregates) one event: see the file comment. Returns the API
  // error when the write failed (the caller logs it); OK when written,
  // aggregated or dropped by the spam filter.
  absl::Status Record(const InvolvedObject& object, const std::string& type,
                      const std::string& reason, const std::string& message);

  int64_t dropped() const;
  // Events created (POST) and aggregated (PATCH) so far.
  int64_t created() const;
  int64_t aggregated() const;

 private:
  struct Written {
    std::string name;  // the Event's metadata.name
    int64_t count = 0;
    absl::Time first;
    absl::Time last;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  bool TakeToken(const std::string& uid, absl::Time now);
  absl::Status Create(const InvolvedObject& object, const std::string& type,
                      const std::string& reason, const std::string& message,
                      absl::Time now, Written* written);

  KubeClient* const client_;
  const EventRecorderOptions options_;
  std::string instance_;

  mutable std::mutex mu_;  // serialises Record; guards everything below
  std::map<std::string, Written> written_;  // uid|type|reason|message
  std::map<std::string, Bucket> buckets_;   // by object uid
  int64_t last_nanos_ = 0;                  // of the last Event name
  int64_t dropped_ = 0;
  int64_t created_ = 0;
  int64_t aggregated_ = 0;
};

}  // namespace ebb::executors::kubernetes::cluster

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_EVENT_RECORDER_H_
