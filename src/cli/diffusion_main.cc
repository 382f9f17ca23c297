// SPDX-License-Identifier: Apache-2.0
//
// ebb-diffusion: the inference binary, the only ebb program that loads
// libtorch. `ebb worker --model DIR` and `ebb generate` exec it with their own
// arguments (cli/model_cli.h); it parses them with the same definitions
// (cli/model_flags.h) and runs `worker` (the same loop as `ebb worker`) or
// `generate`. Installed to <prefix>/libexec/ebb/.
#include <CLI/CLI.hpp>

#include "cli/bundled_model.h"
#include "cli/diffusion_model.h"
#include "cli/model_flags.h"
#include "common/log.h"
#include "inference/diffusion/backend/runtime.h"

int main(int argc, char** argv) {
  using namespace ebb::cli;
  // Before any large allocation: keep freed tensor memory in the heap.
  ebb::inference::diffusion::TuneMalloc();
  CLI::App app{
      "ebb-diffusion: ebb's inference binary (libtorch). Run through `ebb "
      "worker --model DIR` and `ebb generate`."};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|off (env EBB_LOG_LEVEL)")
      ->capture_default_str();
  ModelCommands m;
  AddModelCommands(app, m, /*with_tokenize=*/false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  ebb::InitLogging(log_level);
  // Run directly with no model named: the bundled one (`ebb` resolves it
  // before it execs this binary, and passes it in EBB_MODEL).
  for (std::string* o : {&m.worker.model.model, &m.generate.model.model}) {
    if (o->empty()) *o = FindBundledModel(nullptr);
  }
  if (m.worker_cmd->parsed()) {
    if (m.worker.model.model.empty()) {
      std::cerr << "ebb worker: no --model or EBB_MODEL, and the bundled "
                   "model is not installed\n";
      return kExitUsage;
    }
    return RunWorker(m.worker, MakeWorkerModel);
  }
  if (m.generate_cmd->parsed()) {
    if (m.generate.model.model.empty()) {
      std::cerr << "ebb generate: no --model or EBB_MODEL, and the bundled "
                   "model is not installed\n";
      return kExitUsage;
    }
    return RunGenerate(m.generate);
  }
  return kExitUsage;
}
