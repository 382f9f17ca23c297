// SPDX-License-Identifier: Apache-2.0
// `ebb validate`: every check KEDA makes, plus typo and pairing warnings.
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/wiring.h"
#include "executors/local/check_images.h"

namespace ebb::cli {

int RunValidate(const ValidateOptions& o) {
  scalers::ScalerRegistry registry;
  RegisterBuiltinScalers(&registry);
  auto result = LoadAndCheck(o.files, registry);
  if (!result.ok()) {
    std::cerr << "error: " << result.status().message() << "\n";
    return kExitFailure;
  }
  // What the local executor could not run (an image with neither a command
  // nor a mapping in ebb-local.yaml beside the manifests).
  executors::local::ImageMap images;
  if (std::string path = executors::local::FindLocalConfig(o.files);
      !path.empty()) {
    auto loaded = executors::local::ImageMap::Load(path);
    if (loaded.ok()) {
      images = *std::move(loaded);
    } else {
      spec::SourceLocation where;
      where.file = path;
      result->diagnostics.push_back(
          spec::Diagnostic{spec::Diagnostic::Severity::kError, where,
                           std::string(loaded.status().message())});
    }
  }
  for (spec::Diagnostic& d :
       executors::local::CheckLocalImages(result->manifests, images)) {
    result->diagnostics.push_back(std::move(d));
  }
  if (result->manifests.scaled_jobs.empty()) {
    // Nothing to scale is never what the user meant (a `kind` typo, a wrong
    // path).
    spec::SourceLocation where;
    where.file = absl::StrJoin(o.files, ", ");
    result->diagnostics.push_back(spec::Diagnostic{
        spec::Diagnostic::Severity::kError, where, "no ScaledJob found"});
  }
  int errors = 0, warnings = 0;
  for (const auto& d : result->diagnostics) {
    (d.severity == spec::Diagnostic::Severity::kError ? errors : warnings)++;
  }
  const auto& m = result->manifests;
  if (o.output == "json") {
    nlohmann::json diags = nlohmann::json::array();
    for (const auto& d : result->diagnostics) {
      diags.push_back(
          {{"severity", d.severity == spec::Diagnostic::Severity::kError
                            ? "error"
                            : "warning"},
           {"file", d.location.file},
           {"line", d.location.line},
           {"column", d.location.column},
           {"message", d.message}});
    }
    nlohmann::json names = nlohmann::json::array();
    for (const auto& j : m.scaled_jobs) names.push_back(j.name);
    std::cout << nlohmann::json{{"valid", errors == 0},
                                {"errors", errors},
                                {"warnings", warnings},
                                {"scaledJobs", names},
                                {"diagnostics", diags}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& d : result->diagnostics) std::cout << d.ToString() << "\n";
    std::cout << (errors ? "invalid: " : "valid: ") << m.scaled_jobs.size()
              << " ScaledJob(s), " << m.trigger_authentications.size()
              << " TriggerAuthentication(s), " << m.secrets.size()
              << " Secret(s); " << errors << " error(s), " << warnings
              << " warning(s)\n";
  }
  return errors ? kExitFailure : kExitOk;
}

}  // namespace ebb::cli
