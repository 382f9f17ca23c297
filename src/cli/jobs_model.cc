// SPDX-License-Identifier: Apache-2.0
#include "cli/jobs_model.h"

#include <optional>
#include <vector>

namespace ebb::cli {
namespace {

// The value of --model / -m in `argv`, if any (the last one wins, as CLI11's
// does).
std::optional<std::string> ModelFlag(const std::vector<std::string>& argv) {
  std::optional<std::string> found;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "--model" || a == "-m") && i + 1 < argv.size()) {
      found = argv[++i];
    } else if (a.starts_with("--model=")) {
      found = a.substr(8);
    }
  }
  return found;
}

}  // namespace

std::string ModelNamedForJobs(
    const spec::ScaledJob& job, const executors::local::ImageMap& images,
    const std::map<std::string, std::string>& worker_env) {
  for (const spec::Container& c : job.job_target_ref.template_.containers) {
    const executors::local::ImageMapping* m = images.Find(c.image);
    if (m != nullptr && m->skip) continue;
    std::vector<std::string> argv =
        (m != nullptr && !m->command.empty()) ? m->command : c.command;
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    if (auto flag = ModelFlag(argv)) return *flag;
    std::string model;
    for (const spec::EnvVar& e : c.env) {
      if (e.name == "EBB_MODEL") {
        model = e.secret_key_ref ? "" : e.value;
      }
    }
    if (m != nullptr) {
      for (const auto& [k, v] : m->env) {
        if (k == "EBB_MODEL") model = v;
      }
    }
    if (auto w = worker_env.find("EBB_MODEL"); w != worker_env.end()) {
      model = w->second;
    }
    return model;
  }
  return "";
}

}  // namespace ebb::cli
