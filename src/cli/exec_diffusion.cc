// SPDX-License-Identifier: Apache-2.0
// FindDiffusionBinary and ExecDiffusion (model_cli.h): the step from `ebb`
// (no libtorch) to the inference binary.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/model_cli.h"
#include "common/log.h"

#ifndef EBB_LIBEXEC_REL
#define EBB_LIBEXEC_REL "../libexec/ebb"
#endif

namespace ebb::cli {

namespace fs = std::filesystem;

absl::StatusOr<std::string> FindDiffusionBinary() {
  if (const char* env = std::getenv("EBB_DIFFUSION_BIN");
      env != nullptr && *env != '\0') {
    if (::access(env, X_OK) == 0) return std::string(env);
    return absl::NotFoundError(
        absl::StrCat("EBB_DIFFUSION_BIN=", env, " is not an executable file"));
  }
  std::vector<std::string> looked;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p :
         {self.parent_path() / "ebb-diffusion",
          (self.parent_path() / EBB_LIBEXEC_REL / "ebb-diffusion")
              .lexically_normal()}) {
      if (::access(p.c_str(), X_OK) == 0) return p.string();
      looked.push_back(p.string());
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "this ebb has no inference binary (ebb-diffusion; looked for ",
      absl::StrJoin(looked, " and "),
      ", EBB_DIFFUSION_BIN is unset). It is built beside ebb when libtorch "
      "is installed: run scripts/setup.sh (Debian's libtorch-dev), then "
      "cmake -DEBB_WITH_TORCH=ON and rebuild; or set EBB_DIFFUSION_BIN to "
      "it. `--model sim` runs without it"));
}

int ExecDiffusion(const std::string& what, int argc, char** argv) {
  absl::StatusOr<std::string> bin = FindDiffusionBinary();
  if (!bin.ok()) {
    EBB_LOG_ERROR("{}: {}", what, std::string(bin.status().message()));
    return kExitFailure;
  }
  std::vector<char*> args;
  args.push_back(bin->data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(bin->c_str(), args.data());
  EBB_LOG_ERROR("{}: cannot run {}: {}", what, *bin, std::strerror(errno));
  return kExitFailure;
}

}  // namespace ebb::cli
