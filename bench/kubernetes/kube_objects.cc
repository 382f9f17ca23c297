// SPDX-License-Identifier: Apache-2.0
#include "bench/kubernetes/kube_objects.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "executors/executor.h"
#include "executors/kubernetes/job_manifest.h"
#include "executors/kubernetes/testing/job_validation.h"
#include "spec/manifests.h"
#include "tests/harness/harness.h"

namespace ebb::bench::kube {
namespace {

using Json = nlohmann::json;

constexpr char kCreated[] = "2026-01-01T00:00:00Z";
constexpr char kStarted[] = "2026-01-01T00:00:05Z";

Json ManagedEntry(const std::string& manager, const std::string& api_version,
                  const Json& fields, const char* subresource) {
  Json e = {{"apiVersion", api_version},    {"fieldsType", "FieldsV1"},
            {"fieldsV1", FieldsV1(fields)}, {"manager", manager},
            {"operation", "Update"},        {"time", kStarted}};
  if (subresource != nullptr) e["subresource"] = subresource;
  return e;
}

// What the API server defaults in a pod template / pod spec.
void DefaultPodSpec(Json& spec) {
  for (Json& c : spec["containers"]) {
    c["terminationMessagePath"] = "/dev/termination-log";
    c["terminationMessagePolicy"] = "File";
    if (!c.contains("imagePullPolicy")) c["imagePullPolicy"] = "Always";
  }
  spec["dnsPolicy"] = "ClusterFirst";
  spec["schedulerName"] = "default-scheduler";
  spec["securityContext"] = Json::object();
  spec["terminationGracePeriodSeconds"] = 30;
}

// 64 hex digits derived from `seed` (container ids, image digests).
std::string Hex64(const std::string& seed) {
  const size_t h = std::hash<std::string>{}(seed);
  std::string out;
  for (int i = 0; i < 4; ++i) out += absl::StrFormat("%016x", h * (i + 7));
  return out;
}

}  // namespace

absl::StatusOr<Json> SeedJobManifest() {
  const std::string path =
      testing::SourceDir() + "/examples/stable-diffusion/manifests.yaml";
  auto loaded = spec::LoadManifests({path});
  if (!loaded.ok()) return loaded.status();
  const spec::ScaledJob* sj = loaded->manifests.FindScaledJob(kScaledJob);
  if (sj == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no ScaledJob ", kScaledJob, " in ", path));
  }
  auto request = executors::BuildJobRequest(*sj, loaded->manifests);
  if (!request.ok()) return request.status();
  return executors::kubernetes::BuildJobManifest(*request);
}

Json FieldsV1(const Json& value) {
  Json out = Json::object();
  if (!value.is_object()) return out;
  for (const auto& [key, v] : value.items()) {
    const std::string f = "f:" + key;
    if (v.is_object()) {
      out[f] = FieldsV1(v);
    } else if (v.is_array() && !v.empty() && v[0].is_object() &&
               v[0].contains("name")) {
      Json entries = Json::object();
      for (const Json& e : v) {
        Json fields = FieldsV1(e);
        fields["."] = Json::object();
        entries[absl::StrCat("k:{\"name\":\"", e.value("name", ""), "\"}")] =
            std::move(fields);
      }
      out[f] = std::move(entries);
    } else {
      out[f] = Json::object();
    }
  }
  return out;
}

void CompleteJob(Json& job) {
  executors::kubernetes::testing::DefaultJob(job);
  Json& spec = job["spec"];
  spec["completionMode"] = "NonIndexed";
  spec["manualSelector"] = false;
  spec["podReplacementPolicy"] = "TerminatingOrFailed";
  spec["suspend"] = false;
  DefaultPodSpec(spec["template"]["spec"]);
  job["metadata"]["creationTimestamp"] = kCreated;
  job["status"] = {{"active", 1},
                   {"ready", 1},
                   {"startTime", kCreated},
                   {"terminating", 0},
                   {"uncountedTerminatedPods", Json::object()}};
  const Json creator = {{"metadata",
                         {{"annotations", job["metadata"]["annotations"]},
                          {"generateName", ""},
                          {"labels", job["metadata"]["labels"]}}},
                        {"spec", spec}};
  job["metadata"]["managedFields"] = {
      ManagedEntry("keda", "batch/v1", creator, nullptr),
      ManagedEntry("kube-controller-manager", "batch/v1",
                   {{"status", job["status"]}}, "status")};
}

Json RealisticPod(const Json& job, int index, bool ready) {
  const Json& jm = job["metadata"];
  const std::string job_name = jm.value("name", "");
  const std::string uid = jm.value("uid", "");
  const std::string name = absl::StrFormat(
      "%s-%c%c%c%c%c", job_name, 'a' + index % 26, 'a' + (index / 26) % 26,
      'k' + index % 13, 'p' + index % 7, 'b' + index % 17);
  const Json& tmpl = job["spec"]["template"];
  Json labels = tmpl["metadata"].value("labels", Json::object());
  labels["batch.kubernetes.io/controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = job_name;
  labels["controller-uid"] = uid;
  labels["job-name"] = job_name;

  Json spec = tmpl["spec"];
  DefaultPodSpec(spec);
  const std::string token_volume =
      "kube-api-access-" + name.substr(name.size() - 5);
  for (Json& c : spec["containers"]) {
    c["volumeMounts"].push_back(
        {{"mountPath", "/var/run/secrets/kubernetes.io/serviceaccount"},
         {"name", token_volume},
         {"readOnly", true}});
  }
  spec["enableServiceLinks"] = true;
  spec["nodeName"] = absl::StrFormat("gpu-node-%02d", index % 16);
  spec["preemptionPolicy"] = "PreemptLowerPriority";
  spec["priority"] = 0;
  spec["serviceAccount"] = "default";
  spec["serviceAccountName"] = "default";
  spec["tolerations"] = {{{"effect", "NoExecute"},
                          {"key", "node.kubernetes.io/not-ready"},
                          {"operator", "Exists"},
                          {"tolerationSeconds", 300}},
                         {{"effect", "NoExecute"},
                          {"key", "node.kubernetes.io/unreachable"},
                          {"operator", "Exists"},
                          {"tolerationSeconds", 300}}};
  spec["volumes"].push_back(
      {{"name", token_volume},
       {"projected",
        {{"defaultMode", 420},
         {"sources",
          {{{"serviceAccountToken",
             {{"expirationSeconds", 3607}, {"path", "token"}}}},
           {{"configMap",
             {{"items", {{{"key", "ca.crt"}, {"path", "ca.crt"}}}},
              {"name", "kube-root-ca.crt"}}}},
           {{"downwardAPI",
             {{"items",
               {{{"fieldRef",
                  {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}},
                 {"path", "namespace"}}}}}}}}}}}});

  Json status;
  if (ready) {
    Json conditions = Json::array();
    for (const char* type : {"PodReadyToStartContainers", "Initialized",
                             "Ready", "ContainersReady", "PodScheduled"}) {
      conditions.push_back({{"lastProbeTime", nullptr},
                            {"lastTransitionTime", kStarted},
                            {"status", "True"},
                            {"type", type}});
    }
    Json statuses = Json::array();
    for (const Json& c : spec["containers"]) {
      const std::string image = c.value("image", "");
      statuses.push_back(
          {{"containerID", "containerd://" + Hex64(name + c.value("name", ""))},
           {"image", image},
           {"imageID", image + "@sha256:" + Hex64(image)},
           {"lastState", Json::object()},
           {"name", c.value("name", "")},
           {"ready", true},
           {"restartCount", 0},
           {"started", true},
           {"state", {{"running", {{"startedAt", kStarted}}}}}});
    }
    const std::string pod_ip =
        absl::StrFormat("10.244.%d.%d", index / 250 % 250, index % 250 + 2);
    status = {{"conditions", conditions},
              {"containerStatuses", statuses},
              {"hostIP", "192.168.10.17"},
              {"hostIPs", {{{"ip", "192.168.10.17"}}}},
              {"phase", "Running"},
              {"podIP", pod_ip},
              {"podIPs", {{{"ip", pod_ip}}}},
              {"qosClass", "Burstable"},
              {"startTime", kCreated}};
  } else {
    spec.erase("nodeName");
    status = {{"conditions",
               {{{"lastProbeTime", nullptr},
                 {"lastTransitionTime", kCreated},
                 {"message",
                  "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."},
                 {"reason", "Unschedulable"},
                 {"status", "False"},
                 {"type", "PodScheduled"}}}},
              {"phase", "Pending"},
              {"qosClass", "Burstable"}};
  }

  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"creationTimestamp", kCreated},
                {"finalizers", {"batch.kubernetes.io/job-tracking"}},
                {"generateName", job_name + "-"},
                {"labels", labels},
                {"name", name},
                {"namespace", jm.value("namespace", "")},
                {"ownerReferences",
                 {{{"apiVersion", "batch/v1"},
                   {"blockOwnerDeletion", true},
                   {"controller", true},
                   {"kind", "Job"},
                   {"name", job_name},
                   {"uid", uid}}}}}},
              {"spec", spec},
              {"status", status}};
  pod["metadata"]["managedFields"] = {
      ManagedEntry("kube-controller-manager", "v1",
                   {{"metadata",
                     {{"finalizers", Json::array()},
                      {"generateName", ""},
                      {"labels", labels},
                      {"ownerReferences", Json::object()}}},
                    {"spec", tmpl["spec"]}},
                   nullptr),
      ManagedEntry("kubelet", "v1", {{"status", status}}, "status")};
  return pod;
}

}  // namespace ebb::bench::kube
