// SPDX-License-Identifier: Apache-2.0
#include "cli/shipped_dir.h"

namespace ebb::cli {

namespace fs = std::filesystem;

std::string FindShippedDir(const fs::path& self, const ShippedDir& d,
                           std::vector<std::string>* tried) {
  const fs::path bin = self.parent_path();
  std::vector<fs::path> candidates = {bin / ".." / d.install_rel};
  if (!d.build_dir.empty() && !d.source_dir.empty() &&
      self.string().rfind(d.build_dir + "/", 0) == 0) {
    candidates.push_back(d.source_dir);
  }
  candidates.push_back(bin / "../../.." / d.checkout_rel);
  std::error_code ec;
  for (const fs::path& candidate : candidates) {
    const fs::path dir = fs::weakly_canonical(candidate, ec);
    if (tried != nullptr) tried->push_back(dir.string());
    if (fs::exists(dir / d.marker, ec)) return dir.string();
  }
  return "";
}

}  // namespace ebb::cli
