// SPDX-License-Identifier: Apache-2.0
#include "spec/parse_util.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace ebb::spec::internal {
namespace {

// Integer text as YAML and Kubernetes write it (decimal, optional sign).
template <typename T>
std::optional<T> ParseInteger(const std::string& text) {
  std::string s = text;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  T value{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return value;
}

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "null";
  }
}

template <typename T>
bool ReadIntegerImpl(ParseContext* ctx, const YAML::Node& node,
                     const std::string& path, T* out) {
  if (!Present(node)) return false;
  if (!node.IsScalar()) {
    ctx->Error(ctx->Loc(node), absl::StrCat(path, ": expected an integer, got ",
                                            KindName(node)));
    return false;
  }
  std::optional<T> v = ParseInteger<T>(node.Scalar());
  if (!v) {
    ctx->Error(ctx->Loc(node), absl::StrCat(path, ": \"", node.Scalar(),
                                            "\" is not an integer in range"));
    return false;
  }
  *out = *v;
  return true;
}

}  // namespace

bool Present(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

std::string Index(const std::string& path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

std::optional<bool> ParseGoBool(const std::string& text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" ||
      text == "true" || text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" ||
      text == "false" || text == "False") {
    return false;
  }
  return std::nullopt;
}

SourceLocation ParseContext::Loc(const YAML::Mark& mark) const {
  SourceLocation loc;
  loc.file = file_;
  if (!mark.is_null() && mark.line >= 0) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

SourceLocation ParseContext::Loc(const YAML::Node& node) const {
  if (!node.IsDefined()) return Loc(YAML::Mark::null_mark());
  return Loc(node.Mark());
}

SourceLocation ParseContext::KeyLoc(const YAML::Node& map,
                                    const std::string& key) const {
  if (map.IsMap()) {
    for (const auto& kv : map) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        return Loc(kv.first);
      }
    }
  }
  return Loc(map);
}

void ParseContext::Error(const SourceLocation& loc,
                         const std::string& message) {
  out_->diagnostics.push_back({Diagnostic::Severity::kError, loc, message});
}

void ParseContext::Warning(const SourceLocation& loc,
                           const std::string& message) {
  out_->diagnostics.push_back({Diagnostic::Severity::kWarning, loc, message});
}

void ParseContext::CheckKeys(const YAML::Node& map, const std::string& path,
                             const std::vector<std::string>& known,
                             const std::vector<std::string>& tolerated) {
  if (!map.IsMap()) return;
  std::vector<std::string> all = known;
  all.insert(all.end(), tolerated.begin(), tolerated.end());
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = kv.first.Scalar();
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      Error(Loc(kv.first),
            absl::StrCat(Join(path, key), ": duplicate field \"", key, "\""));
      continue;
    }
    seen.push_back(key);
    if (std::find(all.begin(), all.end(), key) != all.end()) continue;
    std::string message =
        absl::StrCat(Join(path, key), ": unknown field \"", key, "\"");
    if (std::optional<std::string> near = NearestMatch(key, all)) {
      absl::StrAppend(&message, " (did you mean \"", *near, "\"?)");
    }
    absl::StrAppend(&message, "; it is ignored");
    Warning(Loc(kv.first), message);
  }
}

bool ParseContext::ExpectMap(const YAML::Node& node, const std::string& path) {
  if (!Present(node) || node.IsMap()) return true;
  Error(Loc(node),
        absl::StrCat(path, ": expected a map, got ", KindName(node)));
  return false;
}

bool ParseContext::ExpectSeq(const YAML::Node& node, const std::string& path) {
  if (!Present(node) || node.IsSequence()) return true;
  Error(Loc(node),
        absl::StrCat(path, ": expected a list, got ", KindName(node)));
  return false;
}

void ParseContext::ReadString(const YAML::Node& node, const std::string& path,
                              std::string* out) {
  if (!Present(node)) return;
  if (!node.IsScalar()) {
    Error(Loc(node),
          absl::StrCat(path, ": expected a string, got ", KindName(node)));
    return;
  }
  *out = node.Scalar();
}

void ParseContext::ReadInt32(const YAML::Node& node, const std::string& path,
                             int32_t* out) {
  ReadIntegerImpl(this, node, path, out);
}

void ParseContext::ReadInt64(const YAML::Node& node, const std::string& path,
                             int64_t* out) {
  ReadIntegerImpl(this, node, path, out);
}

void ParseContext::ReadOptInt32(const YAML::Node& node, const std::string& path,
                                std::optional<int32_t>* out) {
  int32_t v = 0;
  if (ReadIntegerImpl(this, node, path, &v)) *out = v;
}

void ParseContext::ReadOptInt64(const YAML::Node& node, const std::string& path,
                                std::optional<int64_t>* out) {
  int64_t v = 0;
  if (ReadIntegerImpl(this, node, path, &v)) *out = v;
}

void ParseContext::ReadBool(const YAML::Node& node, const std::string& path,
                            bool* out) {
  if (!Present(node)) return;
  std::optional<bool> v;
  if (node.IsScalar()) v = ParseGoBool(node.Scalar());
  if (!v) {
    Error(Loc(node), absl::StrCat(path, ": expected true or false"));
    return;
  }
  *out = *v;
}

void ParseContext::ReadStringList(const YAML::Node& node,
                                  const std::string& path,
                                  std::vector<std::string>* out) {
  if (!Present(node) || !ExpectSeq(node, path)) return;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string s;
    ReadString(node[i], Index(path, i), &s);
    out->push_back(s);
  }
}

void ParseContext::ReadStringMap(const YAML::Node& node,
                                 const std::string& path,
                                 std::map<std::string, std::string>* out) {
  if (!Present(node) || !ExpectMap(node, path)) return;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) continue;
    std::string value;
    ReadString(kv.second, Join(path, kv.first.Scalar()), &value);
    (*out)[kv.first.Scalar()] = value;
  }
}

}  // namespace ebb::spec::internal
