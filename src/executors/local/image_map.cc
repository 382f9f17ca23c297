// SPDX-License-Identifier: Apache-2.0
#include "executors/local/image_map.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status.h"

namespace ebb::executors::local {
namespace {

std::string Where(const std::string& file, const YAML::Node& n) {
  if (n.Mark().is_null()) return file;
  return absl::StrCat(file, ":", n.Mark().line + 1);
}

absl::Status Bad(const std::string& file, const YAML::Node& n,
                 const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrCat(Where(file, n), ": ", msg));
}

absl::StatusOr<ImageMapping> ParseEntry(const YAML::Node& e,
                                        const std::string& file) {
  if (!e.IsMap()) return Bad(file, e, "each entry of `images` must be a map");
  static const std::set<std::string> kKeys = {
      "image", "skip", "command", "env", "readiness", "workingDir"};
  ImageMapping m;
  for (const auto& kv : e) {
    std::string key = kv.first.as<std::string>();
    if (kKeys.count(key) == 0)
      return Bad(file, kv.first,
                 absl::StrCat("unknown key \"", key,
                              "\" (allowed: image, skip, command, env, "
                              "readiness, workingDir)"));
  }
  if (!e["image"] || !e["image"].IsScalar() ||
      e["image"].as<std::string>().empty())
    return Bad(file, e, "entry needs `image: <repository>`");
  m.image = e["image"].as<std::string>();
  if (e["skip"]) m.skip = e["skip"].as<bool>();
  if (const YAML::Node c = e["command"]) {
    if (c.IsScalar()) {
      m.command.push_back(c.as<std::string>());
    } else if (c.IsSequence()) {
      for (const auto& a : c) m.command.push_back(a.as<std::string>());
    } else {
      return Bad(file, c, "`command` must be a list of strings");
    }
  }
  if (const YAML::Node env = e["env"]) {
    if (!env.IsMap()) return Bad(file, env, "`env` must be a map NAME: value");
    for (const auto& kv : env)
      m.env.emplace_back(kv.first.as<std::string>(),
                         kv.second.as<std::string>());
  }
  if (const YAML::Node r = e["readiness"]) {
    m.readiness = r.as<std::string>();
    if (m.readiness != "notify" && m.readiness != "started")
      return Bad(file, r,
                 absl::StrCat("readiness \"", m.readiness,
                              "\" is not one of \"notify\", \"started\""));
  }
  if (e["workingDir"]) m.working_dir = e["workingDir"].as<std::string>();
  if (!m.skip && m.command.empty() && m.env.empty() && m.readiness.empty() &&
      m.working_dir.empty())
    return Bad(file, e,
               absl::StrCat("mapping for ", m.image,
                            " says nothing: give `command` or `skip: true`"));
  return m;
}

}  // namespace

absl::StatusOr<ImageMap> ImageMap::Parse(const std::string& yaml_text,
                                         const std::string& file) {
  ImageMap map;
  map.source_ = file;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (!root || root.IsNull()) return map;
    if (!root.IsMap())
      return Bad(file, root, "expected a map with the key `images`");
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (key != "images")
        return Bad(file, kv.first,
                   absl::StrCat("unknown key \"", key, "\" (allowed: images)"));
    }
    YAML::Node images = root["images"];
    if (!images || images.IsNull()) return map;
    if (!images.IsSequence())
      return Bad(file, images, "`images` must be a list");
    for (const auto& e : images) {
      EBB_ASSIGN_OR_RETURN(ImageMapping m, ParseEntry(e, file));
      map.mappings_.push_back(std::move(m));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ":", e.mark.line + 1, ": invalid image map: ", e.msg));
  }
  return map;
}

absl::StatusOr<ImageMap> ImageMap::Load(const std::string& path) {
  EBB_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

std::string ImageMap::Repository(const std::string& image) {
  std::string r = image;
  if (size_t at = r.find('@'); at != std::string::npos) r.resize(at);
  size_t slash = r.rfind('/');
  size_t colon = r.rfind(':');
  if (colon != std::string::npos &&
      (slash == std::string::npos || colon > slash))
    r.resize(colon);
  for (const char* p : {"docker.io/library/", "docker.io/",
                        "index.docker.io/library/", "index.docker.io/"}) {
    if (absl::StartsWith(r, p)) {
      r = r.substr(std::string(p).size());
      break;
    }
  }
  if (absl::StartsWith(r, "library/")) r = r.substr(8);
  return r;
}

const ImageMapping* ImageMap::Find(const std::string& image) const {
  std::string repo = Repository(image);
  for (const ImageMapping& m : mappings_)
    if (Repository(m.image) == repo) return &m;
  return nullptr;
}

}  // namespace ebb::executors::local
