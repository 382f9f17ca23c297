// SPDX-License-Identifier: Apache-2.0
//
// File: cli/model_flags.h
//
// The flags of `ebb worker`, `ebb generate` and `ebb tokenize`, defined once
// for both binaries that parse them: `ebb` and the inference binary
// `ebb-diffusion`, which `ebb` execs with the same arguments (model_cli.h).
// With main.cc and diffusion_main.cc, the only files that include CLI11.
#ifndef EBB_CLI_MODEL_FLAGS_H_
#define EBB_CLI_MODEL_FLAGS_H_

#include <CLI/CLI.hpp>

#include "cli/model_cli.h"

namespace ebb::cli {

struct ModelCommands {
  WorkerCliOptions worker;
  GenerateOptions generate;
  TokenizeOptions tokenize;
  CLI::App* worker_cmd = nullptr;
  CLI::App* generate_cmd = nullptr;
  CLI::App* tokenize_cmd = nullptr;  // only with `with_tokenize`
};

// Adds the subcommands to `app`, with defaults from the environment
// (AMQP_URL, EBB_QUEUE_URL, EBB_TOKEN, Q_NAME, EBB_STORE,
// EXIT_AFTER_ONE_TASK, EBB_MODEL, DEVICE). `m` must outlive the parse.
void AddModelCommands(CLI::App& app, ModelCommands& m, bool with_tokenize);

}  // namespace ebb::cli

#endif  // EBB_CLI_MODEL_FLAGS_H_
