// SPDX-License-Identifier: Apache-2.0
//
// File: cli/shipped_dir.h
//
// Finds a folder that ships with ebb (the web UI, the bundled model) the same
// way from an install, a build tree and a checkout.
//
// Thread-safety: a pure function over the file system.
#ifndef EBB_CLI_SHIPPED_DIR_H_
#define EBB_CLI_SHIPPED_DIR_H_

#include <filesystem>
#include <string>
#include <vector>

namespace ebb::cli {

struct ShippedDir {
  // Relative to the install prefix, e.g. "share/ebb/web" (CMake's
  // CMAKE_INSTALL_DATADIR/ebb/...): looked for at <bin>/../install_rel.
  std::string install_rel;
  // The source tree's folder (absolute), used when `self` lies under
  // build_dir, i.e. runs from this build tree; "" = none.
  std::string source_dir;
  std::string build_dir;
  // Relative to a checkout's root, for a binary at build/src/cli/ of a
  // checkout: looked for at <bin>/../../../checkout_rel.
  std::string checkout_rel;
  // A file that must exist in the folder ("index.html", "model_index.json").
  std::string marker;
};

// The first of the places above that holds `d.marker`, canonical; "" when
// none. `self` is the running binary (canonical); `tried` (may be null)
// receives every place looked at, in order.
std::string FindShippedDir(const std::filesystem::path& self,
                           const ShippedDir& d,
                           std::vector<std::string>* tried);

}  // namespace ebb::cli

#endif  // EBB_CLI_SHIPPED_DIR_H_
