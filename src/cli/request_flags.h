// SPDX-License-Identifier: Apache-2.0
//
// File: cli/request_flags.h
//
// The request commands' flags (get, requests, wait, cancel, delete, submit)
// and their dispatch, kept out of main.cc. The commands themselves are in
// cmd_requests.cc and cmd_submit.cc.
#ifndef EBB_CLI_REQUEST_FLAGS_H_
#define EBB_CLI_REQUEST_FLAGS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/commands.h"

namespace ebb::cli {

struct RequestCommands {
  RequestsOptions reqs;
  SubmitOptions submit;
  CLI::App* get = nullptr;
  CLI::App* requests = nullptr;
  CLI::App* wait = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* del = nullptr;
  CLI::App* submit_cmd = nullptr;
};

// Adds the subcommands to `app`; the callbacks add the flags every client
// command shares (--server/--data-dir, -o text|json, -o text|wide|json).
// `r` must outlive the parse.
void AddRequestCommands(
    CLI::App& app, RequestCommands& r,
    const std::function<void(CLI::App*)>& add_server,
    const std::function<void(CLI::App*, std::string&)>& add_output,
    const std::function<void(CLI::App*, std::string&)>& add_wide_output);

// Runs the one that was parsed against `server`: its exit code, or -1 when
// none of them was.
int RunRequestCommand(RequestCommands& r, const ServerOptions& server);

}  // namespace ebb::cli

#endif  // EBB_CLI_REQUEST_FLAGS_H_
