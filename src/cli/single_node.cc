// SPDX-License-Identifier: Apache-2.0
#include "cli/single_node.h"

#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"

namespace ebb::cli {

int CountGpus() {
  int n = 0;
  std::error_code ec;
  const std::regex gpu("nvidia[0-9]+");
  for (const auto& e : std::filesystem::directory_iterator("/dev", ec)) {
    if (std::regex_match(e.path().filename().string(), gpu)) ++n;
  }
  return n;
}

std::string SingleNodeManifest(int max_jobs) {
  return absl::StrCat(R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata:
  name: ebb-worker
  namespace: default
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: )",
                      kSingleNodeWorkerImage, R"(
    backoffLimit: 4
  pollingInterval: 5
  maxReplicaCount: )",
                      max_jobs, R"(
  successfulJobsHistoryLimit: 20
  failedJobsHistoryLimit: 20
  scalingStrategy:
    strategy: accurate
  triggers:
    - type: ebb-queue
      metadata:
        queueName: )",
                      kSingleNodeQueue, R"(
        value: "1"
        activationValue: "0"
)");
}

executors::local::ImageMapping SingleNodeWorkerMapping() {
  executors::local::ImageMapping m;
  m.image = kSingleNodeWorkerImage;
  m.command = {"{ebb}", "worker"};
  m.readiness = "notify";
  // No EBB_MODEL: the jobs serve the bundled model (cli/bundled_model.h).
  // Where it cannot run (no libtorch) they serve the sim, a stand-in, not a
  // neural model; these make the sim take about as long as a small model, so
  // scaling is visible. --worker-env overrides (EBB_MODEL=DIR, or sim).
  m.env = {{"Q_NAME", kSingleNodeQueue},
           {"EBB_SIM_LOAD_MS", "800"},
           {"EBB_SIM_INFERENCE_MS", "2500"}};
  return m;
}

}  // namespace ebb::cli
