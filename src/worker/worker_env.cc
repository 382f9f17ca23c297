// SPDX-License-Identifier: Apache-2.0
// ApplyWorkerEnv and NotifyReadyFromEnv: the worker's process-level glue.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "worker/attempts.h"
#include "worker/worker.h"

namespace ebb::worker {

absl::Status ApplyWorkerEnv(WorkerOptions& options) {
  if (const char* v = std::getenv("EBB_ATTEMPT_LIMIT"); v != nullptr && *v) {
    int limit = 0;
    if (!absl::SimpleAtoi(v, &limit) || limit < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("EBB_ATTEMPT_LIMIT=\"", v,
                       "\": want an integer >= 1 (attempts per "
                       "request, backoffLimit + 1)"));
    }
    options.attempt_limit = limit;
  }
  if (const char* v = std::getenv("EBB_STOP_FINISH_WITHIN_MS");
      v != nullptr && *v) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(v, &ms) || ms < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EBB_STOP_FINISH_WITHIN_MS=\"", v,
          "\": want an integer >= 0 (milliseconds a request may still take "
          "after SIGTERM before it is handed back)"));
    }
    options.finish_within = absl::Milliseconds(ms);
  }
  if (const char* v = std::getenv("EBB_CONTROL_INTERVAL_MS");
      v != nullptr && *v) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(v, &ms) || ms < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EBB_CONTROL_INTERVAL_MS=\"", v,
          "\": want an integer >= 1 (milliseconds between progress reports "
          "and cancel checks of a running request)"));
    }
    options.control_interval = absl::Milliseconds(ms);
  }
  if (const char* v = std::getenv("EBB_RETRY_BACKOFF"); v != nullptr && *v) {
    absl::StatusOr<absl::Duration> d = ParseBackoff("EBB_RETRY_BACKOFF", v);
    if (!d.ok()) return d.status();
    options.retry_backoff = *d;
  }
  if (options.worker_name.empty()) {
    if (const char* job = std::getenv("EBB_JOB_NAME"); job != nullptr && *job) {
      options.worker_name = job;
    } else {
      char host[256] = {};
      if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
        options.worker_name = host;
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// Creates EBB_READY_FILE (a pod's readiness probe tests for it).
absl::Status WriteReadyFile() {
  const char* path = std::getenv("EBB_READY_FILE");
  if (path == nullptr || *path == '\0') return absl::OkStatus();
  absl::Status s = WriteFileAtomic(path, "ready\n");
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat(
        "EBB_READY_FILE=", path, ": cannot write it: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteReadyFd() {
  const char* v = std::getenv("EBB_READY_FD");
  if (v == nullptr || *v == '\0') return absl::OkStatus();
  int fd = -1;
  if (!absl::SimpleAtoi(v, &fd) || fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EBB_READY_FD=\"", v, "\" is not a file descriptor"));
  }
  ::unsetenv("EBB_READY_FD");
  static constexpr char kReady[] = "READY=1\n";
  size_t off = 0;
  while (off < sizeof(kReady) - 1) {
    ssize_t n = ::write(fd, kReady + off, sizeof(kReady) - 1 - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::InternalError(
          absl::StrCat("writing READY to fd ", fd, ": ", std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::Status NotifyReadyFromEnv() {
  absl::Status fd = WriteReadyFd();
  absl::Status file = WriteReadyFile();
  return fd.ok() ? file : fd;
}

}  // namespace ebb::worker
