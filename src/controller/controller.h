// SPDX-License-Identifier: Apache-2.0
//
// File: controller/controller.h
//
// The controller runs one ScaleLoop per ScaledJob, each on its own thread, as
// KEDA runs one goroutine per ScaledJob (scale_handler.go startScaleLoop): a
// poll at start, then at t0 + k * pollingInterval. Wake() asks for an extra
// poll at once (a prompt was published through ebb); the interval schedule is
// kept, so pollingInterval stays the upper bound on reaction time, not the
// reaction time.
//
// Threading: all public methods are thread-safe.
#ifndef EBB_CONTROLLER_CONTROLLER_H_
#define EBB_CONTROLLER_CONTROLLER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/scale_loop.h"

namespace ebb::controller {

struct ControllerOptions {
  ScaleLoopOptions loop;
  // Called on the loop's thread after every poll (live events, UI). Must be
  // thread-safe and quick.
  std::function<void(const std::string& scaled_job, const PollRecord&)> on_poll;
};

class Controller {
 public:
  // Builds the loops (not started). Triggers whose type has no factory, or
  // whose metadata does not validate, are an error naming the ScaledJob and
  // trigger. `registry`, `executor`, `metrics` must outlive the controller.
  static absl::StatusOr<std::unique_ptr<Controller>> Create(
      std::shared_ptr<const spec::Manifests> manifests,
      const scalers::ScalerRegistry& registry, executors::Executor& executor,
      metrics::Registry& metrics, ControllerOptions options);
  ~Controller();  // Stop()s

  // Starts one thread per ScaledJob; each polls at once. May be called again
  // after Stop() (a leader elector stops and restarts the controller as
  // leadership is lost and gained): each loop then starts afresh, with its
  // rollout check and a poll at once.
  void Start();
  // Stops polling (no new jobs); returns when every loop thread has exited.
  // Running jobs are not touched.
  void Stop();

  // An immediate poll of `scaled_job` ("" = all).
  void Wake(const std::string& scaled_job);
  // An immediate poll of every ScaledJob with a trigger on queue `queue`.
  void WakeQueue(const std::string& queue);

  // Replaces the manifests: new ScaledJobs start, removed ones stop, changed
  // ones are updated in place (rollout of old generations per spec) and polled
  // at once. With `restart` (names), a ScaledJob that exists before and after
  // and is not named keeps its loop as it is (its schedule, its scalers'
  // connections): the caller knows it did not change. Without, every loop
  // restarts. On error (a trigger that does not validate, naming the
  // ScaledJob) nothing changes.
  absl::Status Reload(std::shared_ptr<const spec::Manifests> manifests,
                      const std::set<std::string>* restart = nullptr);

  std::vector<ScaleLoop::Snapshot> Snapshots(size_t max_records) const;
  std::vector<std::string> ScaledJobNames() const;
  std::shared_ptr<const spec::Manifests> manifests() const;

 private:
  struct Loop;
  Controller(const scalers::ScalerRegistry& registry,
             executors::Executor& executor, metrics::Registry& metrics,
             ControllerOptions options);
  absl::StatusOr<std::unique_ptr<Loop>> MakeLoop(
      const spec::ScaledJob& job,
      std::shared_ptr<const spec::Manifests> manifests);
  static void RunLoop(Loop* loop);

  const scalers::ScalerRegistry& registry_;
  executors::Executor& executor_;
  metrics::Registry& metrics_;
  ControllerOptions options_;

  mutable std::mutex mu_;
  std::shared_ptr<const spec::Manifests> manifests_;
  std::map<std::string, std::unique_ptr<Loop>> loops_;  // by ScaledJob name
  bool started_ = false;
};

// Generation of a ScaledJob without metadata.generation: ebb keeps its own
// counter per ScaledJob in `state_dir`, bumped whenever the job template
// changes, so rollout works across restarts. Returns the generation to use.
int64_t TrackGeneration(const std::string& state_dir,
                        const spec::ScaledJob& job);

}  // namespace ebb::controller

#endif  // EBB_CONTROLLER_CONTROLLER_H_
