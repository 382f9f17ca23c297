// SPDX-License-Identifier: Apache-2.0
#include "executors/local/child_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ebb::executors::local {
namespace {

void Say(const std::string& msg) {
  std::string line = absl::StrCat("ebb: ", msg, "\n");
  (void)!::write(2, line.data(), line.size());
}

void MkdirP(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/')
      ::mkdir(path.substr(0, i).c_str(), 0755);
  }
}

// In the child: private mount namespace plus bind mounts. False on failure
// (with the reason written to the log).
bool MakeMounts(const std::vector<MountSpec>& mounts) {
  if (::unshare(CLONE_NEWNS) != 0) {
    Say(absl::StrCat("warning: unshare(CLONE_NEWNS): ", std::strerror(errno),
                     "; volumes are given as EBB_VOLUME_<NAME> instead"));
    return false;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Say(absl::StrCat("warning: make / rprivate: ", std::strerror(errno)));
    return false;
  }
  for (const MountSpec& m : mounts) {
    MkdirP(m.mount_path);
    if (::mount(m.host_path.c_str(), m.mount_path.c_str(), nullptr,
                MS_BIND | MS_REC, nullptr) != 0) {
      Say(absl::StrCat("warning: bind mount ", m.host_path, " on ",
                       m.mount_path, ": ", std::strerror(errno),
                       "; volumes are given as EBB_VOLUME_<NAME> instead"));
      return false;
    }
    if (m.read_only &&
        ::mount(nullptr, m.mount_path.c_str(), nullptr,
                MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      Say(absl::StrCat("warning: read-only remount of ", m.mount_path, ": ",
                       std::strerror(errno)));
    }
  }
  return true;
}

// Above the descriptors a child sets up (0-2, kReadyFd).
constexpr int kReportFdFloor = 64;

// In the child: says why it cannot run, in its log and to the parent, and
// exits 127.
[[noreturn]] void Fail(int report_fd, const std::string& why) {
  Say(why);
  if (report_fd >= 0) (void)!::write(report_fd, why.data(), why.size());
  ::_exit(127);
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

absl::StatusOr<pid_t> StartChild(const ChildOptions& o) {
  if (o.argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<char*> argv = CStrings(o.argv);
  std::vector<char*> env = CStrings(o.env);
  std::vector<char*> fallback = CStrings(o.fallback_env);
  // The child writes why it could not exec to this close-on-exec pipe; a
  // successful exec closes it empty.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0)
    return absl::ResourceExhaustedError(
        absl::StrCat("pipe: ", std::strerror(errno)));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return absl::ResourceExhaustedError(
        absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid > 0) {
    ::setpgid(pid, pid);  // also done in the child; whichever runs first
    ::close(exec_pipe[1]);
    std::string why = ReadAll(exec_pipe[0]);
    ::close(exec_pipe[0]);
    if (why.empty()) return pid;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::FailedPreconditionError(why);
  }
  // ---- child (the supervisor is single-threaded, so allocating is safe)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(137);
  // Out of the way of the descriptors set up below; back to just above them
  // before the others are closed.
  int report_fd = ::fcntl(exec_pipe[1], F_DUPFD_CLOEXEC, kReportFdFloor);
  ::close(exec_pipe[0]);
  ::close(exec_pipe[1]);
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);

  int null_fd = ::open("/dev/null", O_RDWR);
  int out = o.output_fd >= 0 ? o.output_fd : null_fd;
  ::dup2(null_fd, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  int first_closed = 3;
  if (o.ready_fd >= 0) {
    if (o.ready_fd == kReadyFd) {
      ::fcntl(kReadyFd, F_SETFD, 0);
    } else {
      ::dup2(o.ready_fd, kReadyFd);
    }
    first_closed = kReadyFd + 1;
  }
  if (o.join_mount_ns_of > 0) {
    int ns =
        ::open(absl::StrCat("/proc/", o.join_mount_ns_of, "/ns/mnt").c_str(),
               O_RDONLY | O_CLOEXEC);
    if (ns >= 0) {
      ::setns(ns, CLONE_NEWNS);
      ::close(ns);
    }
  }
  if (report_fd > first_closed &&
      ::dup3(report_fd, first_closed, O_CLOEXEC) == first_closed) {
    report_fd = first_closed;  // the copy at 64+ is closed just below
  }
  if (report_fd > first_closed) {
    ::syscall(SYS_close_range, static_cast<unsigned>(first_closed),
              static_cast<unsigned>(report_fd - 1), 0U);
  }
  ::syscall(SYS_close_range,
            static_cast<unsigned>(std::max(report_fd + 1, first_closed)), ~0U,
            0U);
  char** envp = env.data();
  if (!o.mounts.empty() && !MakeMounts(o.mounts)) envp = fallback.data();
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
    Fail(report_fd,
         absl::StrCat("cannot chdir to ", o.cwd, ": ", std::strerror(errno)));
  }
  ::execvpe(argv[0], argv.data(), envp);
  Fail(report_fd,
       absl::StrCat("cannot run ", o.argv[0], ": ", std::strerror(errno)));
}

}  // namespace ebb::executors::local
