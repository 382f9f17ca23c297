// SPDX-License-Identifier: Apache-2.0
#include "executors/local/check_images.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace ebb::executors::local {

std::string FindLocalConfig(const std::vector<std::string>& manifest_paths) {
  namespace fs = std::filesystem;
  if (manifest_paths.empty()) return "";
  std::error_code ec;
  const fs::path first(manifest_paths[0]);
  fs::path dir = fs::is_directory(first, ec) ? first : first.parent_path();
  if (dir.empty()) dir = ".";
  const fs::path candidate = dir / spec::kLocalConfigFile;
  return fs::exists(candidate, ec) ? candidate.string() : "";
}

std::vector<spec::Diagnostic> CheckLocalImages(const spec::Manifests& manifests,
                                               const ImageMap& map) {
  std::vector<spec::Diagnostic> out;
  for (const spec::ScaledJob& job : manifests.scaled_jobs) {
    const auto& containers = job.job_target_ref.template_.containers;
    for (size_t i = 0; i < containers.size(); ++i) {
      const spec::Container& c = containers[i];
      const ImageMapping* m = map.Find(c.image);
      if (m != nullptr && (m->skip || !m->command.empty())) continue;
      if (!c.command.empty()) continue;
      const std::string where =
          map.source().empty()
              ? absl::StrCat("no ", spec::kLocalConfigFile,
                             " was found beside the manifests")
              : absl::StrCat(map.source(), " has no entry for it");
      out.push_back(spec::Diagnostic{
          spec::Diagnostic::Severity::kWarning, c.location,
          absl::StrCat(
              "spec.jobTargetRef.template.spec.containers[", i, "] (\"", c.name,
              "\", image \"", c.image,
              "\"): the local executor cannot run it: it has no `command` and ",
              where, "; add `command:` to the container or map the image in ",
              spec::kLocalConfigFile, " (`command:` or `skip: true`)")});
    }
  }
  return out;
}

}  // namespace ebb::executors::local
