// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli/commands.h"

namespace ebb::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string DefaultDataDir() {
  if (std::string d = Env("EBB_DATA_DIR"); !d.empty()) return d;
  if (std::string d = Env("XDG_STATE_HOME"); !d.empty()) return d + "/ebb";
  if (std::string h = Env("HOME"); !h.empty()) return h + "/.local/state/ebb";
  return ".ebb";
}

std::string DefaultServerUrl() {
  if (std::string s = Env("EBB_SERVER"); !s.empty()) return s;
  return "http://127.0.0.1:8080";
}

std::string SelfBinary() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "ebb";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace ebb::cli
