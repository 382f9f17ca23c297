// SPDX-License-Identifier: Apache-2.0
//
// File: cli/single_node.h
//
// `ebb up` with no manifests: the single-node product. One ScaledJob,
// `ebb-worker`, whose jobs run `ebb worker` against ebb's embedded queue
// `tasks` (trigger type `ebb-queue`, strategy accurate: the embedded queue's
// ready count excludes taken messages), at most one job per GPU found, else a
// small CPU default.
#ifndef EBB_CLI_SINGLE_NODE_H_
#define EBB_CLI_SINGLE_NODE_H_

#include <string>

#include "executors/local/image_map.h"

namespace ebb::cli {

inline constexpr char kSingleNodeQueue[] = "tasks";
inline constexpr char kSingleNodeWorkerImage[] = "ebb/worker";
inline constexpr int kCpuDefaultMaxJobs = 4;

// NVIDIA GPUs visible to this process: /dev/nvidia0, /dev/nvidia1, ... (0 if
// none).
int CountGpus();

// The default ScaledJob as KEDA YAML, with `max_jobs` as maxReplicaCount.
std::string SingleNodeManifest(int max_jobs);

// The image mapping that runs `ebb/worker` as `{ebb} worker` with notify
// readiness.
executors::local::ImageMapping SingleNodeWorkerMapping();

}  // namespace ebb::cli

#endif  // EBB_CLI_SINGLE_NODE_H_
