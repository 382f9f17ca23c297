// SPDX-License-Identifier: Apache-2.0
#include "storage/filesystem/filesystem_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status.h"

namespace ebb::storage {
namespace {

namespace fs = std::filesystem;

constexpr char kTempPrefix[] = ".ebb-tmp-";

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
    case ENOTEMPTY:
      return absl::FailedPreconditionError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A temp name unique across threads and processes.
std::string TempName() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(kTempPrefix, getpid(), "-", counter.fetch_add(1), "-",
                      RandomSuffix(6));
}

void FsyncDir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("write ", path));
    }
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Creates the directories of `dir` below the store root.
absl::Status MakeParents(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return ErrnoStatus(ec.value(), absl::StrCat("mkdir ", dir));
  }
  return absl::OkStatus();
}

ObjectInfo InfoFromStat(const std::string& key, const struct stat& st) {
  ObjectInfo info;
  info.key = key;
  info.size = static_cast<int64_t>(st.st_size);
  info.modified = absl::TimeFromTimespec(st.st_mtim);
  return info;
}

// Appends every regular file under `dir` (key prefix `rel`) whose key starts
// with `prefix`. Entries that vanish while walking are skipped.
void Walk(const std::string& dir, const std::string& rel,
          const std::string& prefix, std::vector<ObjectInfo>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::StartsWith(name, kTempPrefix)) continue;
    const std::string key = rel.empty() ? name : absl::StrCat(rel, "/", name);
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // Descend only where keys below can still match the prefix.
      const std::string sub = key + "/";
      if (absl::StartsWith(sub, prefix) || absl::StartsWith(prefix, sub)) {
        Walk(it->path().string(), key, prefix, out);
      }
    } else if (S_ISREG(st.st_mode) && absl::StartsWith(key, prefix)) {
      out.push_back(InfoFromStat(key, st));
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FilesystemObjectStore>>
FilesystemObjectStore::Open(const std::string& root) {
  if (root.empty()) return absl::InvalidArgumentError("empty store directory");
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(root), ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("resolve ", root));
  abs = abs.lexically_normal();
  std::string dir = abs.string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  EBB_RETURN_IF_ERROR(Annotate(MakeParents(dir), "while opening object store"));
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("object store path ", dir, " is not a directory"));
  }
  std::unique_ptr<FilesystemObjectStore> store(new FilesystemObjectStore(dir));
  store->RemoveStaleTempFiles(kStaleTempAge);
  return store;
}

int FilesystemObjectStore::RemoveStaleTempFiles(absl::Duration age) {
  const auto cutoff =
      fs::file_time_type::clock::now() - absl::ToChronoNanoseconds(age);
  std::error_code ec;
  fs::recursive_directory_iterator it(
      root_, fs::directory_options::skip_permission_denied, ec);
  int removed = 0;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& e = *it;
    if (!absl::StartsWith(e.path().filename().string(), kTempPrefix)) continue;
    std::error_code fec;
    if (!e.is_regular_file(fec) || fec) continue;
    const auto mtime = e.last_write_time(fec);
    if (fec || mtime > cutoff) continue;
    if (fs::remove(e.path(), fec) && !fec) ++removed;
  }
  if (removed > 0) {
    EBB_LOG_INFO(
        "object store {}: removed {} stale temp file(s) of "
        "interrupted writes",
        root_, removed);
  }
  return removed;
}

std::string FilesystemObjectStore::PathOf(const std::string& key) const {
  return absl::StrCat(root_, "/", key);
}

absl::Status FilesystemObjectStore::Put(const std::string& key,
                                        std::string_view data,
                                        const std::string& content_type) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  const std::string path = PathOf(key);
  const std::string dir = fs::path(path).parent_path().string();
  EBB_RETURN_IF_ERROR(MakeParents(dir));
  const std::string tmp = absl::StrCat(dir, "/", TempName());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", tmp));
  absl::Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fsync(fd) != 0) {
    s = ErrnoStatus(errno, absl::StrCat("fsync ", tmp));
  }
  if (::close(fd) != 0 && s.ok()) {
    s = ErrnoStatus(errno, absl::StrCat("close ", tmp));
  }
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = ErrnoStatus(errno, absl::StrCat("rename to ", path));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return Annotate(s, absl::StrCat("while storing ", key));
  }
  FsyncDir(dir);
  return absl::OkStatus();
}

absl::StatusOr<std::string> FilesystemObjectStore::Get(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  // Never through a symbolic link out of the store (the API serves objects).
  absl::StatusOr<std::string> data = ReadFileUnderRoot(root_, key);
  if (absl::IsNotFound(data.status())) {
    return absl::NotFoundError(absl::StrCat("object ", key, " not found"));
  }
  if (absl::IsPermissionDenied(data.status())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "object ", key, " is a symbolic link out of the store: refused"));
  }
  return data;
}

absl::StatusOr<ObjectInfo> FilesystemObjectStore::Head(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  absl::StatusOr<int> fd = OpenFileUnderRoot(root_, key);
  if (absl::IsNotFound(fd.status())) {
    return absl::NotFoundError(absl::StrCat("object ", key, " not found"));
  }
  if (!fd.ok()) return fd.status();
  struct stat st;
  const int rc = ::fstat(*fd, &st);
  ::close(*fd);
  if (rc != 0) return ErrnoStatus(errno, absl::StrCat("stat ", key));
  // Hash the bytes actually read so etag and size describe one version.
  EBB_ASSIGN_OR_RETURN(std::string data, Get(key));
  ObjectInfo info = InfoFromStat(key, st);
  info.size = static_cast<int64_t>(data.size());
  info.etag = ContentEtag(data);
  return info;
}

absl::StatusOr<std::vector<ObjectInfo>> FilesystemObjectStore::List(
    const std::string& prefix) {
  if (prefix.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("list prefix contains NUL");
  }
  std::vector<ObjectInfo> out;
  Walk(root_, "", prefix, out);
  std::sort(
      out.begin(), out.end(),
      [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

absl::Status FilesystemObjectStore::Delete(const std::string& key) {
  EBB_RETURN_IF_ERROR(ValidateObjectKey(key));
  const std::string path = PathOf(key);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
    return absl::OkStatus();  // absent (a directory is not an object)
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("delete ", path));
  }
  FsyncDir(fs::path(path).parent_path().string());
  return absl::OkStatus();
}

std::string FilesystemObjectStore::Describe() const {
  return absl::StrCat("file://", root_);
}

}  // namespace ebb::storage
