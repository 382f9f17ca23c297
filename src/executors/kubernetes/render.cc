// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/render.h"

#include <regex>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

std::string Scalar(const Json& v) {
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  static const std::regex kPlain(R"([A-Za-z_/][A-Za-z0-9_./@-]*)");
  static const std::set<std::string> kTyped = {
      "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"};
  if (std::regex_match(s, kPlain) &&
      kTyped.count(absl::AsciiStrToLower(s)) == 0) {
    return s;
  }
  return v.dump();  // a JSON string is a valid YAML double-quoted scalar
}

void Emit(const Json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      absl::StrAppend(out, pad, Scalar(Json(it.key())), ":");
      const Json& child = it.value();
      if (child.is_object() && !child.empty()) {
        absl::StrAppend(out, "\n");
        Emit(child, indent + 2, out);
      } else if (child.is_array() && !child.empty()) {
        absl::StrAppend(out, "\n");
        Emit(child, indent, out);
      } else {
        absl::StrAppend(out, " ",
                        child.is_object()  ? "{}"
                        : child.is_array() ? "[]"
                                           : Scalar(child),
                        "\n");
      }
    }
  } else if (v.is_array()) {
    for (const Json& item : v) {
      if ((item.is_object() || item.is_array()) && !item.empty()) {
        std::string inner;
        Emit(item, indent + 2, &inner);
        // "- " replaces the first line's indentation.
        absl::StrAppend(out, pad, "- ", inner.substr(indent + 2));
      } else {
        absl::StrAppend(out, pad, "- ",
                        item.is_object()  ? "{}"
                        : item.is_array() ? "[]"
                                          : Scalar(item),
                        "\n");
      }
    }
  } else {
    absl::StrAppend(out, pad, Scalar(v), "\n");
  }
}

}  // namespace

absl::StatusOr<Json> RenderJob(const spec::Manifests& manifests,
                               const std::string& name, const std::string& uid,
                               const JobManifestOptions& options) {
  const spec::ScaledJob* job = nullptr;
  std::vector<std::string> names;
  for (const spec::ScaledJob& sj : manifests.scaled_jobs) {
    names.push_back(sj.name);
    if (name.empty() || sj.name == name) job = job == nullptr ? &sj : job;
  }
  if (manifests.scaled_jobs.empty()) {
    return absl::NotFoundError("no ScaledJob in the files");
  }
  if (name.empty() && names.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("several ScaledJobs (", absl::StrJoin(names, ", "),
                     "): pick one with --scaledjob"));
  }
  if (job == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no ScaledJob named \"", name,
                     "\" (known: ", absl::StrJoin(names, ", "), ")"));
  }
  // The Job keeps secretKeyRefs for the kubelet: do not resolve env (the
  // Secrets need not be in the files).
  spec::ScaledJob copy = *job;
  for (spec::Container& c : copy.job_target_ref.template_.containers) {
    c.env.clear();
  }
  auto request = BuildJobRequest(copy, manifests);
  if (!request.ok()) return request.status();
  if (!uid.empty()) request->scaled_job_uid = uid;
  return BuildJobManifest(*request, options);
}

std::string JsonToYaml(const Json& value) {
  std::string out;
  Emit(value, 0, &out);
  return out;
}

}  // namespace ebb::executors::kubernetes
