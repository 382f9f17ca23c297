// SPDX-License-Identifier: Apache-2.0
//
// File: spec/parse_util.h
//
// Internal to spec/: the typed accessors the manifest parsers share. Each one
// reads a yaml-cpp node, records a Diagnostic (file:line:col, dotted field
// path) when the value has the wrong shape, and never throws. Not for use
// outside src/spec/.
#ifndef EBB_SPEC_PARSE_UTIL_H_
#define EBB_SPEC_PARSE_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/manifests.h"
#include "yaml-cpp/yaml.h"

namespace ebb::spec::internal {

// Diagnostics sink for one file.
class ParseContext {
 public:
  ParseContext(const std::string& file, LoadResult* out)
      : file_(file), out_(out) {}

  const std::string& file() const { return file_; }
  LoadResult* out() { return out_; }

  SourceLocation Loc(const YAML::Node& node) const;
  SourceLocation Loc(const YAML::Mark& mark) const;
  // Where `key` itself is written in `map` (the key, not its value); the
  // map's own location when the key is absent.
  SourceLocation KeyLoc(const YAML::Node& map, const std::string& key) const;
  void Error(const SourceLocation& loc, const std::string& message);
  void Warning(const SourceLocation& loc, const std::string& message);

  // Warns about each key of `map` that is neither in `known` nor in
  // `tolerated` (legitimate Kubernetes keys ebb does not read), naming the
  // nearest known or tolerated key. `path` is the dotted path of `map`.
  void CheckKeys(const YAML::Node& map, const std::string& path,
                 const std::vector<std::string>& known,
                 const std::vector<std::string>& tolerated = {});

  // Shape checks. Each reports an error naming `path` and returns false when
  // the node is present but of another kind. Absent (undefined) nodes pass.
  bool ExpectMap(const YAML::Node& node, const std::string& path);
  bool ExpectSeq(const YAML::Node& node, const std::string& path);

  // Scalar readers: leave `*out` unchanged when `node` is absent or null.
  // Report an error (and leave *out) when the value does not fit.
  void ReadString(const YAML::Node& node, const std::string& path,
                  std::string* out);
  void ReadInt32(const YAML::Node& node, const std::string& path, int32_t* out);
  void ReadInt64(const YAML::Node& node, const std::string& path, int64_t* out);
  void ReadOptInt32(const YAML::Node& node, const std::string& path,
                    std::optional<int32_t>* out);
  void ReadOptInt64(const YAML::Node& node, const std::string& path,
                    std::optional<int64_t>* out);
  void ReadBool(const YAML::Node& node, const std::string& path, bool* out);
  void ReadStringList(const YAML::Node& node, const std::string& path,
                      std::vector<std::string>* out);
  void ReadStringMap(const YAML::Node& node, const std::string& path,
                     std::map<std::string, std::string>* out);

 private:
  std::string file_;
  LoadResult* out_;
};

// True when the node exists and is not null.
bool Present(const YAML::Node& node);

// Dotted path helpers: Join("spec", "triggers") == "spec.triggers";
// Index("spec.triggers", 2) == "spec.triggers[2]".
std::string Join(const std::string& path, const std::string& key);
std::string Index(const std::string& path, size_t i);

// Go's strconv.ParseBool.
std::optional<bool> ParseGoBool(const std::string& text);

}  // namespace ebb::spec::internal

#endif  // EBB_SPEC_PARSE_UTIL_H_
