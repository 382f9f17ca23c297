// SPDX-License-Identifier: Apache-2.0
//
// File: cli/up_flags.h
//
// The flags of `ebb up`'s cluster mode (cli/up_cluster.h), kept out of
// main.cc.
#ifndef EBB_CLI_UP_FLAGS_H_
#define EBB_CLI_UP_FLAGS_H_

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace ebb::cli {

// Adds --kubernetes, --kubeconfig, --context, --namespace and
// --cluster-object-namespace to `up`. `o` must outlive the parse.
void AddUpClusterFlags(CLI::App* up, UpOptions* o);

}  // namespace ebb::cli

#endif  // EBB_CLI_UP_FLAGS_H_
