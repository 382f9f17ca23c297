// SPDX-License-Identifier: Apache-2.0
//
// File: executors/kubernetes/cluster/cluster_test_util.h
//
// Test helpers for cluster mode: the seed's manifests
// (examples/stable-diffusion/manifests.yaml) as API objects, and applying
// them to the API server double as `kubectl apply` would.
#ifndef EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_TEST_UTIL_H_
#define EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "executors/kubernetes/client/kube_client.h"
#include "nlohmann/json.hpp"
#include "spec/yaml_json.h"

namespace ebb::executors::kubernetes::cluster::testing {

inline constexpr char kSeedNs[] = "stable-diff";
inline constexpr char kSeedJob[] = "stable-diff-job";

// The seed's objects in file order: Secret stablediff-rabbitmq, Secret
// minio, TriggerAuthentication, ScaledJob. `amqp_url` (when given) replaces
// the broker URL in the Secret.
inline std::vector<nlohmann::json> SeedObjects(
    const std::string& amqp_url = "") {
  std::ifstream in(std::string(EBB_SOURCE_DIR) +
                   "/examples/stable-diffusion/manifests.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!amqp_url.empty()) {
    text = absl::StrReplaceAll(
        text, {{"amqp://guest:guest@127.0.0.1:5672/", amqp_url}});
  }
  std::vector<nlohmann::json> out;
  for (absl::string_view doc : absl::StrSplit(text, "\n---\n")) {
    auto json = spec::YamlTextToJson(std::string(doc));
    if (json.ok()) out.push_back(nlohmann::json::parse(*json));
  }
  return out;
}

inline nlohmann::json SeedObject(const std::string& kind) {
  for (const nlohmann::json& o : SeedObjects()) {
    if (o.value("kind", "") == kind) return o;
  }
  return nullptr;
}

// The plural resource name of a kind the seed uses.
inline std::string ResourceOf(const std::string& kind) {
  if (kind == "Secret") return "secrets";
  if (kind == "TriggerAuthentication") return "triggerauthentications";
  if (kind == "ClusterTriggerAuthentication") {
    return "clustertriggerauthentications";
  }
  return "scaledjobs";
}

// The REST path of an object's collection.
inline std::string CollectionPath(const std::string& kind,
                                  const std::string& ns) {
  const std::string prefix =
      kind == "Secret" ? "/api/v1" : "/apis/keda.sh/v1alpha1";
  return ns.empty() ? prefix + "/" + ResourceOf(kind)
                    : prefix + "/namespaces/" + ns + "/" + ResourceOf(kind);
}

// The REST path of one object.
inline std::string ObjectPath(const nlohmann::json& object) {
  const auto& meta = object["metadata"];
  return CollectionPath(object.value("kind", ""), meta.value("namespace", "")) +
         "/" + meta.value("name", "");
}

// POSTs `object` to its collection, as `kubectl create` does: the server
// assigns uid, resourceVersion, generation.
inline absl::StatusOr<nlohmann::json> CreateObject(
    KubeClient& client, const nlohmann::json& object) {
  return client.Request(
      "POST",
      CollectionPath(object.value("kind", ""),
                     object["metadata"].value("namespace", "")),
      object);
}

// Creates the seed's Secrets, TriggerAuthentication and ScaledJob; false on
// any error.
inline bool CreateSeed(KubeClient& client, const std::string& amqp_url = "") {
  for (const nlohmann::json& o : SeedObjects(amqp_url)) {
    if (!CreateObject(client, o).ok()) return false;
  }
  return true;
}

}  // namespace ebb::executors::kubernetes::cluster::testing

#endif  // EBB_EXECUTORS_KUBERNETES_CLUSTER_CLUSTER_TEST_UTIL_H_
