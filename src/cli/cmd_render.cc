// SPDX-License-Identifier: Apache-2.0
// `ebb render`: the exact batch/v1 Job ebb's Kubernetes executor would create
// for a ScaledJob, as KEDA's operator would create it.
#include <iostream>

#include "cli/commands.h"
#include "executors/kubernetes/render.h"
#include "spec/manifests.h"

namespace ebb::cli {

int RunRender(const RenderOptions& o) {
  auto loaded = spec::LoadManifests(o.files);
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return kExitFailure;
  }
  if (loaded->HasErrors()) {
    for (const spec::Diagnostic& d : loaded->diagnostics) {
      if (d.severity == spec::Diagnostic::Severity::kError) {
        std::cerr << d.ToString() << "\n";
      }
    }
    std::cerr << "error: the manifests have errors (see `ebb validate`)\n";
    return kExitFailure;
  }
  auto job = executors::kubernetes::RenderJob(loaded->manifests, o.scaled_job,
                                              o.owner_uid);
  if (!job.ok()) {
    std::cerr << "error: " << job.status().message() << "\n";
    return kExitFailure;
  }
  if (o.output == "json") {
    std::cout << job->dump(2) << "\n";
  } else {
    std::cout << executors::kubernetes::JsonToYaml(*job);
  }
  return kExitOk;
}

}  // namespace ebb::cli
