// SPDX-License-Identifier: Apache-2.0
#include "executors/local/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"

namespace ebb::executors::local {
namespace {

// Writes all of `len` bytes, retrying EINTR. Async-signal-safe.
void WriteAll(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= static_cast<size_t>(n);
  }
}

// Reads exactly `len` bytes; returns the count read (less on EOF).
size_t ReadAll(int fd, void* buf, size_t len) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  if (pid <= 0) return absl::NotFoundError("no pid");
  auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("pid ", pid));
  // The command name (field 2) may hold spaces and parentheses: parse after
  // the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos)
    return absl::NotFoundError(absl::StrCat("pid ", pid));
  std::vector<std::string> f =
      absl::StrSplit(text->substr(close + 2), ' ', absl::SkipEmpty());
  // f[0] is field 3 (state), so field 22 is f[19].
  if (f.size() < 20) return absl::NotFoundError(absl::StrCat("pid ", pid));
  if (f[0] == "Z" || f[0] == "X")
    return absl::NotFoundError(absl::StrCat("pid ", pid, " is a zombie"));
  uint64_t start = 0;
  if (!absl::SimpleAtoi(f[19], &start))
    return absl::NotFoundError(absl::StrCat("pid ", pid));
  return start;
}

bool ProcessAlive(pid_t pid, uint64_t start_time) {
  auto st = ProcessStartTime(pid);
  if (!st.ok()) return false;
  return start_time == 0 || *st == start_time;
}

absl::StatusOr<pid_t> SpawnDetached(const std::vector<std::string>& argv,
                                    const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  // Everything the children need is prepared before fork.
  std::vector<char*> cargv;
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int log_fd =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    return absl::InternalError(
        absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipefd[2];
  if (null_fd < 0 || ::pipe2(pipefd, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(e)));
  }
  pid_t mid = ::fork();
  if (mid < 0) {
    int e = errno;
    ::close(log_fd);
    ::close(null_fd);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return absl::ResourceExhaustedError(
        absl::StrCat("fork: ", std::strerror(e)));
  }
  if (mid == 0) {
    // Intermediate child: new session, fork the daemon, exit.
    ::setsid();
    pid_t d = ::fork();
    if (d != 0) ::_exit(d < 0 ? 1 : 0);
    // The daemon.
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
    pid_t self = ::getpid();
    WriteAll(pipefd[1], &self, sizeof(self));
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Keep only 0-2 and the status pipe (close-on-exec) open.
    int keep = pipefd[1];
    if (keep > 3) {
      ::dup3(keep, 3, O_CLOEXEC);
      keep = 3;
    } else if (keep < 3) {
      // Cannot happen: 0-2 were open before pipe2 (we just dup2'd onto them).
      keep = 3;
    }
    ::syscall(SYS_close_range, 4U, ~0U, 0U);
    ::execv(cargv[0], cargv.data());
    int e = errno;
    WriteAll(keep, &e, sizeof(e));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  ::close(log_fd);
  ::close(null_fd);
  int status = 0;
  while (::waitpid(mid, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t daemon = 0;
  size_t n = ReadAll(pipefd[0], &daemon, sizeof(daemon));
  int exec_errno = 0;
  size_t m = n == sizeof(daemon)
                 ? ReadAll(pipefd[0], &exec_errno, sizeof(exec_errno))
                 : 0;
  ::close(pipefd[0]);
  if (n != sizeof(daemon))
    return absl::InternalError(
        absl::StrCat("could not start ", argv[0], ": fork failed"));
  if (m == sizeof(exec_errno))
    return absl::FailedPreconditionError(absl::StrCat(
        "could not start ", argv[0], ": ", std::strerror(exec_errno)));
  return daemon;
}

}  // namespace ebb::executors::local
