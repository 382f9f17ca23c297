// SPDX-License-Identifier: Apache-2.0
#include "cli/cluster_binding.h"

#include "common/log.h"

namespace ebb::cli {

namespace cluster = executors::kubernetes::cluster;

ClusterBinding::ClusterBinding(executors::kubernetes::KubeClient* client,
                               Options options)
    : source_(client, std::move(options.source)),
      status_(client, std::move(options.status)),
      on_manifests_(std::move(options.on_manifests)),
      manifests_(std::make_shared<spec::Manifests>()) {}

ClusterBinding::~ClusterBinding() {
  StopSource();
  StopStatus();
}

absl::Status ClusterBinding::StartSource(absl::Duration timeout) {
  source_.Start(
      [this](const cluster::ClusterUpdate& update) { OnUpdate(update); });
  return source_.WaitFirstUpdate(timeout);
}

void ClusterBinding::StopSource() { source_.Stop(); }

std::shared_ptr<const spec::Manifests> ClusterBinding::manifests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return manifests_;
}

void ClusterBinding::OnUpdate(const cluster::ClusterUpdate& update) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (update.manifests_changed) {
      manifests_ =
          std::make_shared<const spec::Manifests>(update.state->manifests);
      if (on_manifests_) on_manifests_(*manifests_);
      if (controller_ != nullptr) {
        if (absl::Status s = controller_->Reload(manifests_, &update.restart);
            !s.ok()) {
          EBB_LOG_ERROR(
              "cannot apply the cluster's ScaledJobs; keeping the ones in "
              "force: {}",
              std::string(s.message()));
        }
      }
    }
  }
  status_.Sync(*update.state);
}

absl::Status ClusterBinding::Attach(controller::Controller* controller) {
  std::lock_guard<std::mutex> lock(mu_);
  controller_ = controller;
  if (controller_ == nullptr) return absl::OkStatus();
  return controller_->Reload(manifests_);
}

void ClusterBinding::StartStatus() {
  status_.Start();
  if (auto state = source_.current()) status_.Sync(*state);
}

void ClusterBinding::StopStatus() { status_.Stop(); }

void ClusterBinding::OnPoll(const std::string& scaled_job,
                            const controller::PollRecord& r) {
  status_.Observe(scaled_job, ToObservation(r));
}

cluster::PollObservation ClusterBinding::ToObservation(
    const controller::PollRecord& r) {
  cluster::PollObservation o;
  o.time = r.time;
  o.start = r.cause == "start";
  o.paused = r.paused;
  for (const controller::TriggerReading& t : r.triggers) {
    o.trigger_error = o.trigger_error || !t.error.empty();
    o.trigger_active = o.trigger_active || (t.error.empty() && t.active);
  }
  o.active = r.decision.active;
  o.created = r.created;
  o.create_failures = r.create_failures;
  if (r.create_failures > 0) o.create_error = r.error;
  return o;
}

}  // namespace ebb::cli
