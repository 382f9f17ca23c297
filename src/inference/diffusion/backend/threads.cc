// SPDX-License-Identifier: Apache-2.0
#include "inference/diffusion/backend/threads.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ebb::inference::diffusion {
namespace {

int Clamp(double cpus, int online) {
  return std::clamp(static_cast<int>(std::floor(cpus + 1e-9)), 1, online);
}

}  // namespace

absl::StatusOr<double> ParseCpuQuantity(const std::string& quantity) {
  absl::string_view q = absl::StripAsciiWhitespace(quantity);
  double scale = 1;
  if (absl::ConsumeSuffix(&q, "m")) scale = 0.001;
  double v = 0;
  if (q.empty() || !absl::SimpleAtod(q, &v) || !std::isfinite(v) || v <= 0 ||
      q.find_first_not_of("0123456789.") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CPU quantity \"", quantity,
        "\" is not a positive Kubernetes CPU quantity (\"2\", \"1.5\", "
        "\"500m\")"));
  }
  return v * scale;
}

ThreadChoice ChooseThreads(const std::optional<std::string>& cpu_limit,
                           const std::optional<std::string>& cpu_max,
                           int online) {
  online = std::max(1, online);
  std::string skipped;
  if (cpu_limit.has_value() && !cpu_limit->empty()) {
    absl::StatusOr<double> cpus = ParseCpuQuantity(*cpu_limit);
    if (cpus.ok()) {
      return {Clamp(*cpus, online), absl::StrCat("EBB_CPU_LIMIT=", *cpu_limit)};
    }
    skipped =
        absl::StrCat(" (EBB_CPU_LIMIT=\"", *cpu_limit,
                     "\" ignored: ", std::string(cpus.status().message()), ")");
  }
  if (cpu_max.has_value()) {
    std::istringstream in(*cpu_max);
    std::string quota;
    double period = 0;
    double q = 0;
    if (in >> quota >> period && quota != "max" && period > 0 &&
        absl::SimpleAtod(quota, &q) && q > 0) {
      return {Clamp(q / period, online),
              absl::StrCat("cgroup cpu.max ", quota, " ",
                           static_cast<int64_t>(period), skipped)};
    }
  }
  return {online, absl::StrCat(online, " online CPUs", skipped)};
}

ThreadChoice ThreadsForThisJob() {
  std::optional<std::string> limit;
  if (const char* v = std::getenv("EBB_CPU_LIMIT"); v != nullptr) limit = v;
  std::optional<std::string> cpu_max;
  if (std::ifstream f("/sys/fs/cgroup/cpu.max"); f) {
    std::stringstream ss;
    ss << f.rdbuf();
    cpu_max = ss.str();
  }
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return ChooseThreads(limit, cpu_max,
                       online > 0 ? static_cast<int>(online) : 1);
}

}  // namespace ebb::inference::diffusion
