// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <string>

namespace ebb {

void InitLogging(std::string_view level) {
  std::string lvl(level);
  if (const char* env = std::getenv("EBB_LOG_LEVEL"); env && *env) lvl = env;
  auto logger = spdlog::stderr_color_mt("ebb");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v",
                      spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(lvl));
  if (lvl != "off" && spdlog::get_level() == spdlog::level::off) {
    spdlog::set_level(spdlog::level::info);
  }
}

}  // namespace ebb
