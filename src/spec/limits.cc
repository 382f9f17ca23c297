// SPDX-License-Identifier: Apache-2.0
//
// spec/limits.h and the checks of spec/check_limits.h.
#include "spec/limits.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spec/check_limits.h"

namespace ebb::spec {
namespace {

constexpr char kPodSpec[] = "spec.jobTargetRef.template.spec";
constexpr int64_t kPointerBytes = sizeof(char*);

void Error(LoadResult* out, const SourceLocation& loc, std::string message) {
  out->diagnostics.push_back(
      {Diagnostic::Severity::kError, loc, std::move(message)});
}

// The value an env var will have, or nullptr when it comes from a Secret that
// is not loaded (reported elsewhere).
const std::string* EnvValue(const EnvVar& e, const std::string& ns,
                            const Manifests& m) {
  if (!e.secret_key_ref) return &e.value;
  const Secret* secret = m.FindSecret(e.secret_key_ref->name, ns);
  if (secret == nullptr) return nullptr;
  auto it = secret->data.find(e.secret_key_ref->key);
  return it == secret->data.end() ? nullptr : &it->second;
}

void CheckContainer(const ScaledJob& job, size_t index, const Manifests& m,
                    LoadResult* out) {
  const Container& c = job.job_target_ref.template_.containers[index];
  const std::string path = absl::StrCat(kPodSpec, ".containers[", index, "]");
  int64_t total = 0;
  auto check_one = [&](const SourceLocation& loc, const std::string& field,
                       int64_t bytes) {
    total += bytes + kPointerBytes;
    if (bytes <= kMaxArgStrlen) return;
    Error(out, loc,
          absl::StrCat(field, " is ", bytes, " bytes; Linux limits each ",
                       "argument and environment string to ",
                       DescribeBytes(kMaxArgStrlen),
                       " (MAX_ARG_STRLEN), so the job could not start"));
  };
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"command", &c.command}, {"args", &c.args}};
  for (const auto& [key, list_ptr] : lists) {
    const std::vector<std::string>& list = *list_ptr;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string field = absl::StrCat(path, ".", key, "[", i, "]");
      check_one(job.LocationOf(field), field,
                static_cast<int64_t>(list[i].size()) + 1);
    }
  }
  for (size_t i = 0; i < c.env.size(); ++i) {
    const EnvVar& e = c.env[i];
    const std::string* value = EnvValue(e, job.namespace_, m);
    if (value == nullptr) continue;
    // "NAME=value\0", as the process receives it.
    std::string field = absl::StrCat(path, ".env[", i, "] (", e.name);
    if (e.secret_key_ref) {
      absl::StrAppend(&field, ", from Secret \"", e.secret_key_ref->name,
                      "\" key \"", e.secret_key_ref->key, "\"");
    }
    absl::StrAppend(&field, ")");
    check_one(e.location, field,
              static_cast<int64_t>(e.name.size() + value->size()) + 2);
  }
  const int64_t budget = ExecBudgetBytes();
  if (total > budget) {
    Error(out, c.location,
          absl::StrCat(path, ": command, args and env total ", total,
                       " bytes; this machine's exec limit (ARG_MAX) leaves ",
                       DescribeBytes(budget), " after ",
                       DescribeBytes(kExecReserveBytes),
                       " kept for ebb's own variables, so the job could not "
                       "start"));
  }
}

}  // namespace

int64_t ExecBudgetBytes() {
  long arg_max = ::sysconf(_SC_ARG_MAX);
  if (arg_max <= 0) arg_max = 2 << 20;
  return static_cast<int64_t>(arg_max) - kExecReserveBytes;
}

std::string DescribeBytes(int64_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
    return absl::StrCat(bytes >> 20, " MiB (", bytes, " bytes)");
  }
  return absl::StrCat(bytes, " bytes");
}

namespace internal {

bool CheckFileSize(const std::string& path, LoadResult* out) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size <= static_cast<uintmax_t>(kMaxManifestFileBytes)) return true;
  SourceLocation loc;
  loc.file = path;
  Error(out, loc,
        absl::StrCat("file is ", size, " bytes; manifest files are limited to ",
                     DescribeBytes(kMaxManifestFileBytes),
                     " (one object may be at most ",
                     DescribeBytes(kMaxObjectBytes), "); file not read"));
  return false;
}

std::string ObjectSizeProblem(int64_t bytes, const std::string& kind) {
  if (bytes <= kMaxObjectBytes) return "";
  return absl::StrCat(kind.empty() ? "object" : kind, " is ", bytes,
                      " bytes of YAML; an object is limited to ",
                      DescribeBytes(kMaxObjectBytes),
                      " (Kubernetes refuses larger ones); object skipped");
}

void CheckExecLimits(LoadResult* result) {
  const Manifests& m = result->manifests;
  for (const ScaledJob& job : m.scaled_jobs) {
    for (size_t i = 0; i < job.job_target_ref.template_.containers.size();
         ++i) {
      CheckContainer(job, i, m, result);
    }
  }
}

}  // namespace internal
}  // namespace ebb::spec
