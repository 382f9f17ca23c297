// SPDX-License-Identifier: Apache-2.0
// OpenFileUnderRoot / ReadFileUnderRoot (common/files.h): reading below a root
// without escaping it through "..", encoded separators or symbolic links.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace ebb {
namespace {

// realpath(3) as a string; empty on error (errno set).
std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

std::vector<std::string> Segments(const std::string& rel) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    out.push_back(rel.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

struct Walked {
  int fd = -1;        // the open file, when ok
  int err = 0;        // errno of the failed step
  bool link = false;  // a component was a symbolic link
};

// Opens `rel` below the directory `root` one component at a time, refusing to
// follow any symbolic link.
Walked WalkNoFollow(const std::string& root, const std::string& rel) {
  Walked w;
  int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    w.err = errno;
    return w;
  }
  const std::vector<std::string> segs = Segments(rel);
  for (size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    struct stat st;
    if (::fstatat(dir, segs[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      w.err = errno;
      break;
    }
    if (S_ISLNK(st.st_mode)) {
      w.link = true;
      w.err = ELOOP;
      break;
    }
    const int flags =
        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    const int next = ::openat(dir, segs[i].c_str(), flags);
    if (next < 0) {
      w.err = errno;
      w.link = errno == ELOOP;  // swapped for a link since the fstatat
      break;
    }
    ::close(dir);
    dir = next;
    if (last) {
      w.fd = next;
      return w;
    }
  }
  ::close(dir);
  return w;
}

absl::Status WalkError(int err, const std::string& rel) {
  if (err == ENOENT || err == ENOTDIR) {
    return absl::NotFoundError(absl::StrCat(rel, ": no such file"));
  }
  return absl::InternalError(
      absl::StrCat("cannot open ", rel, ": ", std::strerror(err)));
}

}  // namespace

bool IsPlainRelativePath(std::string_view rel) {
  if (rel.empty() || rel.find('\\') != std::string_view::npos ||
      rel.find('\0') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    const std::string_view seg = rel.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

absl::StatusOr<int> OpenFileUnderRoot(const std::string& root,
                                      const std::string& rel) {
  if (!IsPlainRelativePath(rel)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", rel,
                     "\" is not a plain relative path (no '..', '.', empty "
                     "segment, leading '/' or backslash)"));
  }
  const std::string real_root = RealPath(root);
  if (real_root.empty()) return WalkError(errno, rel);
  Walked w = WalkNoFollow(real_root, rel);
  if (w.fd < 0 && w.link) {
    // A link on the way: allowed only when it resolves inside the root; then
    // the resolved path is walked (again without following links).
    const std::string target = RealPath(real_root + "/" + rel);
    if (target.empty()) return WalkError(errno, rel);
    const std::string prefix = real_root == "/" ? "/" : real_root + "/";
    if (target.compare(0, prefix.size(), prefix) != 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          rel, " is a symbolic link out of its directory: refused"));
    }
    w = WalkNoFollow(real_root, target.substr(prefix.size()));
    if (w.fd < 0 && w.link) {
      return absl::PermissionDeniedError(
          absl::StrCat(rel, " changed into a symbolic link: refused"));
    }
  }
  if (w.fd < 0) return WalkError(w.err, rel);
  struct stat st;
  if (::fstat(w.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(w.fd);
    return absl::NotFoundError(absl::StrCat(rel, ": not a regular file"));
  }
  // O_NONBLOCK only kept a FIFO from blocking the open; reads are plain.
  ::fcntl(w.fd, F_SETFL, ::fcntl(w.fd, F_GETFL) & ~O_NONBLOCK);
  return w.fd;
}

absl::StatusOr<std::string> ReadFileUnderRoot(const std::string& root,
                                              const std::string& rel,
                                              int64_t max_tail_bytes) {
  absl::StatusOr<int> fd = OpenFileUnderRoot(root, rel);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(*fd, &st) != 0) {
    const int err = errno;
    ::close(*fd);
    return WalkError(err, rel);
  }
  off_t start = 0;
  if (max_tail_bytes >= 0 && st.st_size > max_tail_bytes) {
    start = st.st_size - max_tail_bytes;
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size - start));
  char buf[1 << 16];
  off_t off = start;
  for (;;) {
    ssize_t n = ::pread(*fd, buf, sizeof(buf), off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(*fd);
      return absl::InternalError(
          absl::StrCat("read ", rel, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  ::close(*fd);
  // A file that grew since the fstat (a live log): keep only the tail asked.
  if (max_tail_bytes >= 0 && out.size() > static_cast<size_t>(max_tail_bytes)) {
    out.erase(0, out.size() - static_cast<size_t>(max_tail_bytes));
  }
  return out;
}

}  // namespace ebb
