// SPDX-License-Identifier: Apache-2.0
//
// File: cli/jobs_model.h
//
// Which model the jobs of a local `ebb up` will run, read from what their
// worker processes will be given, so that GET /api/v1/model (the web UI's
// model name and example prompts) names the model the workers really load.
//
// A worker takes its model from `--model X` / `-m X` / `--model=X` on its
// command line, else env EBB_MODEL (cli/model_flags.cc). The local executor
// builds a job container's argv as the image map's `command` (else the
// container's `command`) followed by its `args`, and its env as the
// container's env, then the image map's `env`, then `ebb up --worker-env`,
// each later one winning (executors/local/build_job_file.cc). This mirrors
// that order.
//
// Thread-safety: pure functions.
#ifndef EBB_CLI_JOBS_MODEL_H_
#define EBB_CLI_JOBS_MODEL_H_

#include <map>
#include <string>

#include "executors/local/image_map.h"
#include "spec/manifests.h"

namespace ebb::cli {

// The model named for the worker container of `job`: the first container the
// image map does not skip. "" when nothing names one (the worker's default,
// the bundled model). Env values from Secrets are not resolved (a model path
// is not a secret) and count as unnamed.
std::string ModelNamedForJobs(
    const spec::ScaledJob& job, const executors::local::ImageMap& images,
    const std::map<std::string, std::string>& worker_env);

}  // namespace ebb::cli

#endif  // EBB_CLI_JOBS_MODEL_H_
