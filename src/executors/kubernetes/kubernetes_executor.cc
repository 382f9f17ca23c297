// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/kubernetes_executor.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "executors/kubernetes/job_status.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

std::string JobsPath(const std::string& ns) {
  return ns.empty() ? "/apis/batch/v1/jobs"
                    : absl::StrCat("/apis/batch/v1/namespaces/", ns, "/jobs");
}
std::string PodsPath(const std::string& ns) {
  return ns.empty() ? "/api/v1/pods"
                    : absl::StrCat("/api/v1/namespaces/", ns, "/pods");
}

std::string Label(const Json& o, const char* key) {
  if (!o.contains("metadata") || !o["metadata"].contains("labels")) return "";
  return o["metadata"]["labels"].value(key, "");
}

}  // namespace

KubernetesExecutor::KubernetesExecutor(KubernetesExecutorOptions options)
    : options_(std::move(options)),
      client_(options_.config, options_.request_timeout) {}

KubernetesExecutor::~KubernetesExecutor() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [ns, w] : watched_) {
    w.jobs->RequestStop();
    w.pods->RequestStop();
  }
  watched_.clear();  // waits for every informer thread
}

KubernetesExecutor::Watched& KubernetesExecutor::Watch(const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  Watched& w = watched_[ns];
  if (w.jobs) return w;
  InformerOptions jobs;
  jobs.path = JobsPath(ns);
  jobs.label_selector = kScaledJobLabel;
  jobs.resource = "jobs.batch";
  jobs.namespace_ = ns;
  jobs.watch_timeout = options_.watch_timeout;
  jobs.max_staleness = options_.max_staleness;
  InformerOptions pods = jobs;
  pods.path = PodsPath(ns);
  pods.resource = "pods";
  pods.transform = SlimPod;
  w.jobs = std::make_unique<Informer>(&client_, jobs);
  w.pods = std::make_unique<Informer>(&client_, pods);
  w.jobs->Start();
  w.pods->Start();
  return w;
}

absl::Status KubernetesExecutor::Synced(Watched& w) {
  absl::Status jobs = w.jobs->WaitSynced(options_.sync_timeout);
  if (!jobs.ok()) return WithRbacHint(jobs, "list", "batch", "jobs");
  absl::Status pods = w.pods->WaitSynced(options_.sync_timeout);
  if (!pods.ok()) return WithRbacHint(pods, "list", "", "pods");
  return absl::OkStatus();
}

void KubernetesExecutor::SetPendingPodConditions(
    const std::string& ns, const std::string& scaled_job,
    std::vector<std::string> conditions) {
  std::lock_guard<std::mutex> lock(mu_);
  conditions_[absl::StrCat(ns, "/", scaled_job)] = std::move(conditions);
}

std::vector<std::string> KubernetesExecutor::ConditionsOf(
    const std::string& ns, const std::string& scaled_job) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conditions_.find(absl::StrCat(ns, "/", scaled_job));
  return it == conditions_.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<Job> KubernetesExecutor::Create(const JobRequest& request) {
  EBB_ASSIGN_OR_RETURN(Json manifest,
                       BuildJobManifest(request, options_.manifest));
  SetPendingPodConditions(request.namespace_, request.scaled_job,
                          request.pending_pod_conditions);
  Watched& w = Watch(request.namespace_);
  auto created =
      client_.Request("POST", JobsPath(request.namespace_), manifest);
  if (!created.ok()) {
    return Annotate(WithRbacHint(created.status(), "create", "batch", "jobs"),
                    absl::StrCat("creating a Job for ScaledJob ",
                                 request.namespace_, "/", request.scaled_job));
  }
  w.jobs->Upsert(*created);
  return JobFromObjects(*created, {}, request.pending_pod_conditions);
}

absl::StatusOr<std::vector<Job>> KubernetesExecutor::List(
    const std::string& ns, const std::string& scaled_job) {
  Watched& w = Watch(ns);
  EBB_RETURN_IF_ERROR(Synced(w));
  const std::vector<Json> jobs = w.jobs->Snapshot();
  const std::vector<Json> pods = w.pods->Snapshot();
  // Pods filed by owner uid and job name: one pass over the pods instead of
  // one per Job (1,000 Jobs x 5,000 pods took 10 s a tick; BENCHMARKS 9).
  std::unordered_map<std::string, std::vector<const Json*>> by_key;
  for (const Json& pod : pods) {
    for (std::string& key : PodKeys(pod))
      by_key[std::move(key)].push_back(&pod);
  }
  std::vector<Job> out;
  for (const Json& job : jobs) {
    const std::string sj = Label(job, kScaledJobLabel);
    if (!scaled_job.empty() && sj != scaled_job) continue;
    std::vector<const Json*> mine;
    for (const std::string& key : JobKeys(job)) {
      auto it = by_key.find(key);
      if (it == by_key.end()) continue;
      for (const Json* pod : it->second) {
        if (std::find(mine.begin(), mine.end(), pod) == mine.end() &&
            PodOfJob(*pod, job)) {
          mine.push_back(pod);
        }
      }
    }
    // The snapshot's order, as a scan over all pods would give.
    std::sort(mine.begin(), mine.end());
    const std::string job_ns = job["metadata"].value("namespace", "");
    out.push_back(JobFromObjects(job, mine, ConditionsOf(job_ns, sj)));
  }
  return out;
}

absl::Status KubernetesExecutor::Delete(const std::string& ns,
                                        const std::string& name,
                                        bool foreground) {
  Watched& w = Watch(ns);
  const Json options = {
      {"apiVersion", "v1"},
      {"kind", "DeleteOptions"},
      {"propagationPolicy", foreground ? "Foreground" : "Background"}};
  auto deleted =
      client_.Request("DELETE", absl::StrCat(JobsPath(ns), "/", name), options);
  if (!deleted.ok()) {
    return Annotate(WithRbacHint(deleted.status(), "delete", "batch", "jobs"),
                    absl::StrCat("deleting Job ", ns, "/", name));
  }
  if (foreground && deleted->value("kind", "") == "Job" &&
      (*deleted)["metadata"].contains("deletionTimestamp")) {
    w.jobs->Upsert(*deleted);
  } else {
    w.jobs->Erase(ns, name);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KubernetesExecutor::Logs(
    const std::string& ns, const std::string& name,
    const std::string& container, int64_t max_bytes) {
  Watched& w = Watch(ns);
  EBB_RETURN_IF_ERROR(Synced(w));
  std::optional<Json> job;
  for (const Json& j : w.jobs->Snapshot()) {
    if (j["metadata"].value("name", "") == name) job = j;
  }
  if (!job) {
    return absl::NotFoundError(absl::StrCat("no Job ", ns, "/", name));
  }
  std::string pod, newest;
  for (const Json& p : w.pods->Snapshot()) {
    const std::string created = p["metadata"].value("creationTimestamp", "");
    if (PodOfJob(p, *job) && (pod.empty() || created >= newest)) {
      pod = p["metadata"].value("name", "");
      newest = created;
    }
  }
  if (pod.empty()) {
    return absl::NotFoundError(
        absl::StrCat("Job ", ns, "/", name, " has no pod yet"));
  }
  std::string path =
      absl::StrCat("/api/v1/namespaces/", ns, "/pods/", pod, "/log");
  if (!container.empty()) {
    absl::StrAppend(&path, "?container=", KubeClient::QueryEscape(container));
  }
  auto text = client_.GetText(path, max_bytes);
  if (!text.ok()) {
    return Annotate(WithRbacHint(text.status(), "get", "", "pods/log"),
                    absl::StrCat("logs of Job ", ns, "/", name));
  }
  return text;
}

InformerStats KubernetesExecutor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  InformerStats total;
  for (const auto& [ns, w] : watched_) {
    for (const Informer* i : {w.jobs.get(), w.pods.get()}) {
      const InformerStats s = i->stats();
      total.lists += s.lists;
      total.watches += s.watches;
      total.relists += s.relists;
      total.events += s.events;
      total.bookmarks += s.bookmarks;
    }
  }
  return total;
}

}  // namespace ebb::executors::kubernetes
