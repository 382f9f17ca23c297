// SPDX-License-Identifier: Apache-2.0
#include "executors/local/child_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    return absl::ResourceExhaustedError(
        absl::StrCat("fork: ", std::strerror(errno)));
  if (pid > 0) {
    ::setpgid(pid, pid);  // also done in the child; whichever runs first
    return pid;
  }
  // ---- child (the supervisor is single-threaded, so allocating is safe)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(137);
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
  ::syscall(SYS_close_range, static_cast<unsigned>(first_closed), ~0U, 0U);
  char** envp = env.data();
  if (!o.mounts.empty() && !MakeMounts(o.mounts)) envp = fallback.data();
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
    Say(absl::StrCat("cannot chdir to ", o.cwd, ": ", std::strerror(errno)));
    ::_exit(127);
  }
  ::execvpe(argv[0], argv.data(), envp);
  Say(absl::StrCat("cannot run ", o.argv[0], ": ", std::strerror(errno)));
  ::_exit(127);
}

}  // namespace ebb::executors::local
