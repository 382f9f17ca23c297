// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/image_map.h
//
// The local executor runs containers as processes, so it must know what each
// container image means on this machine. An image map is a small ebb config
// file (YAML):
//
//   images:
//     - image: ghcr.io/kedify/stable-diffusion-worker   # repository; tag
//     ignored
//       command: ["{ebb}", "worker"]   # {ebb} = path of the ebb binary
//       readiness: notify              # notify | started (default: started,
//                                      # or the container's readinessProbe)
//       env: {DEVICE: cuda}            # extra env, over the container's own
//       workingDir: /srv/ebb           # optional
//     - image: minio/mc
//       skip: true                     # not needed locally: never started
//
// Matching is by repository: "repo:tag" and "repo@sha256:..." match "repo";
// "docker.io/" and "docker.io/library/" prefixes are ignored. readiness
// `notify`: the process writes "READY=1\n" to the file descriptor number given
// in env EBB_READY_FD once it can take work (`ebb worker` does so after its
// model is loaded).
//
// Values are plain data; thread-compatible.
#ifndef EBB_EXECUTORS_LOCAL_IMAGE_MAP_H_
#define EBB_EXECUTORS_LOCAL_IMAGE_MAP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ebb::executors::local {

struct ImageMapping {
  std::string image;  // repository as written (normalized when matching)
  bool skip = false;
  // Replaces the image's entrypoint: argv = command + container `args`.
  // Empty: the container's own command + args are run.
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> env;
  std::string readiness;  // "", "notify" or "started"
  std::string working_dir;
};

class ImageMap {
 public:
  ImageMap() = default;
  // Parses YAML text. `file` is used in messages only. InvalidArgument naming
  // the file, line and field for a malformed file or an unknown readiness
  // value (allowed: notify, started). Unknown keys are errors too (they are
  // almost always typos in a file this small).
  static absl::StatusOr<ImageMap> Parse(const std::string& yaml_text,
                                        const std::string& file);
  // Reads and parses `path`. NotFound when it does not exist.
  static absl::StatusOr<ImageMap> Load(const std::string& path);

  // The mapping for `image`, or nullptr.
  const ImageMapping* Find(const std::string& image) const;
  void Add(ImageMapping mapping) { mappings_.push_back(std::move(mapping)); }
  const std::vector<ImageMapping>& mappings() const { return mappings_; }
  // The file it came from ("" when built in code).
  const std::string& source() const { return source_; }

  // "ghcr.io/a/b:1.2" -> "ghcr.io/a/b"; "docker.io/library/busybox" ->
  // "busybox"; "localhost:5000/x:tag" -> "localhost:5000/x".
  static std::string Repository(const std::string& image);

 private:
  std::vector<ImageMapping> mappings_;
  std::string source_;
};

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_IMAGE_MAP_H_
