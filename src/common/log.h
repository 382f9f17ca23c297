// SPDX-License-Identifier: Apache-2.0
//
// File: common/log.h
//
// Logging goes through spdlog (fmt-style: EBB_LOG_INFO("created {} jobs", n)).
// Lines say what happened and why, and never carry a secret: mask URLs with
// common/secrets.h first. Logs go to stderr; stdout is kept for command output.
#ifndef EBB_COMMON_LOG_H_
#define EBB_COMMON_LOG_H_

#include <spdlog/spdlog.h>

#include <string_view>

namespace ebb {

// Sets the process logger: stderr, pattern "2026-11-29T21:30:00.123Z info
// [component] msg". `level` is one of trace, debug, info, warn, error, off;
// unknown means info. The EBB_LOG_LEVEL environment variable, when set, wins.
void InitLogging(std::string_view level);

}  // namespace ebb

#define EBB_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define EBB_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define EBB_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define EBB_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)

#endif  // EBB_COMMON_LOG_H_
