// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/cluster/cluster_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"

namespace ebb::executors::kubernetes::cluster {
namespace {

using Json = nlohmann::json;

constexpr char kKeda[] = "/apis/keda.sh/v1alpha1";

// The cache keeps no managedFields (they can outweigh the object).
Json Slim(const Json& o) {
  Json out = o;
  if (out.contains("metadata") && out["metadata"].is_object()) {
    out["metadata"].erase("managedFields");
  }
  return out;
}

}  // namespace

ClusterManifestSource::ClusterManifestSource(KubeClient* client,
                                             ClusterSourceOptions options)
    : client_(client), options_(std::move(options)) {}

ClusterManifestSource::~ClusterManifestSource() { Stop(); }

void ClusterManifestSource::AddInformer(std::vector<Watched>* list,
                                        const std::string& path,
                                        const std::string& resource,
                                        const std::string& ns) {
  InformerOptions o;
  o.path = path;
  o.resource = resource;
  o.namespace_ = ns;
  o.watch_timeout = options_.watch_timeout;
  o.max_staleness = options_.max_staleness;
  o.transform = Slim;
  o.on_change = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
    cv_.notify_all();
  };
  list->push_back(
      {absl::StrCat(resource, ns.empty()
                                  ? " (cluster-scoped)"
                                  : absl::StrCat(" in namespace \"", ns, "\"")),
       std::make_unique<Informer>(client_, std::move(o))});
}

void ClusterManifestSource::Start(Listener listener) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) return;
    stop_ = false;
    dirty_ = false;
    delivered_ = false;
    current_ = nullptr;
  }
  listener_ = std::move(listener);
  std::vector<std::string> secret_namespaces = options_.namespaces;
  for (const std::string& ns : options_.namespaces) {
    const std::string base = absl::StrCat(kKeda, "/namespaces/", ns);
    AddInformer(&scaled_jobs_, base + "/scaledjobs", "scaledjobs.keda.sh", ns);
    AddInformer(&trigger_auths_, base + "/triggerauthentications",
                "triggerauthentications.keda.sh", ns);
  }
  if (!options_.cluster_object_namespace.empty()) {
    AddInformer(&cluster_auths_,
                absl::StrCat(kKeda, "/clustertriggerauthentications"),
                "clustertriggerauthentications.keda.sh", "");
    if (std::find(secret_namespaces.begin(), secret_namespaces.end(),
                  options_.cluster_object_namespace) ==
        secret_namespaces.end()) {
      secret_namespaces.push_back(options_.cluster_object_namespace);
    }
  }
  for (const std::string& ns : secret_namespaces) {
    AddInformer(&secrets_, absl::StrCat("/api/v1/namespaces/", ns, "/secrets"),
                "secrets", ns);
  }
  for (auto* list :
       {&scaled_jobs_, &trigger_auths_, &cluster_auths_, &secrets_}) {
    for (Watched& w : *list) w.informer->Start();
  }
  thread_ = std::thread([this] { Run(); });
}

void ClusterManifestSource::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto* list :
       {&scaled_jobs_, &trigger_auths_, &cluster_auths_, &secrets_}) {
    for (Watched& w : *list) w.informer->RequestStop();
  }
  // Destroying an informer waits for its thread.
  scaled_jobs_.clear();
  trigger_auths_.clear();
  cluster_auths_.clear();
  secrets_.clear();
}

absl::Status ClusterManifestSource::WaitFirstUpdate(absl::Duration timeout) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                     [&] { return delivered_; })) {
      return absl::OkStatus();
    }
  }
  std::vector<std::string> waiting;
  for (const auto* list :
       {&scaled_jobs_, &trigger_auths_, &cluster_auths_, &secrets_}) {
    for (const Watched& w : *list) {
      if (w.informer->HasSynced()) continue;
      absl::Status h = w.informer->health();
      waiting.push_back(absl::StrCat(w.what, h.ok() ? "" : ": ", h.message()));
    }
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "kubernetes: ScaledJobs not read within ", absl::FormatDuration(timeout),
      waiting.empty()
          ? ""
          : absl::StrCat("; not listed yet: ", absl::StrJoin(waiting, "; "))));
}

std::shared_ptr<const ClusterManifests> ClusterManifestSource::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

int64_t ClusterManifestSource::rebuilds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rebuilds_;
}

void ClusterManifestSource::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || dirty_; });
    if (stop_) return;
    // Coalesce: a kubectl apply of a file touches several objects at once.
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.debounce),
                 [&] { return stop_; });
    if (stop_) return;
    dirty_ = false;
    lock.unlock();
    Rebuild();
    lock.lock();
  }
}

void ClusterManifestSource::Rebuild() {
  ClusterObjects objects;
  auto gather = [](const std::vector<Watched>& list, std::vector<Json>* out) {
    bool synced = true;
    for (const Watched& w : list) {
      synced = synced && w.informer->HasSynced();
      for (Json& o : w.informer->Snapshot()) out->push_back(std::move(o));
    }
    return synced;
  };
  bool synced = gather(scaled_jobs_, &objects.scaled_jobs);
  synced = gather(trigger_auths_, &objects.trigger_authentications) && synced;
  synced = gather(cluster_auths_, &objects.cluster_trigger_authentications) &&
           synced;
  synced = gather(secrets_, &objects.secrets) && synced;
  if (!synced) return;  // the missing list's on_change brings us back
  auto state = std::make_shared<ClusterManifests>(BuildClusterManifests(
      objects, options_.check, options_.cluster_object_namespace));

  ClusterUpdate update;
  update.state = state;
  std::shared_ptr<const ClusterManifests> previous = current();
  update.manifests_changed =
      previous == nullptr || previous->fingerprints != state->fingerprints;
  for (const auto& [name, hash] : state->fingerprints) {
    if (previous != nullptr) {
      auto it = previous->fingerprints.find(name);
      if (it != previous->fingerprints.end() && it->second == hash) continue;
    }
    update.restart.insert(name);
    for (const spec::Diagnostic& d : state->warnings[name]) {
      EBB_LOG_WARN("{}", d.ToString());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = state;
  }
  if (listener_) listener_(update);
  std::lock_guard<std::mutex> lock(mu_);
  ++rebuilds_;
  delivered_ = true;
  cv_.notify_all();
}

}  // namespace ebb::executors::kubernetes::cluster
