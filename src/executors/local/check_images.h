// SPDX-License-Identifier: Apache-2.0
//
// File: executors/local/check_images.h
//
// What `ebb validate` says about running a ScaledJob's containers with the
// local executor: a container whose image has neither a `command` nor a
// mapping in ebb-local.yaml cannot be started locally (Create would fail with
// FailedPrecondition at the first scale-up). Pure functions; thread-safe.
#ifndef EBB_EXECUTORS_LOCAL_CHECK_IMAGES_H_
#define EBB_EXECUTORS_LOCAL_CHECK_IMAGES_H_

#include <string>
#include <vector>

#include "executors/local/image_map.h"
#include "spec/manifests.h"

namespace ebb::executors::local {

// spec::kLocalConfigFile in the directory of the first manifest path (the
// path itself when it is a directory), as `ebb up` looks for it; "" when
// there is none.
std::string FindLocalConfig(const std::vector<std::string>& manifest_paths);

// One warning per container (not skipped) whose image is unmapped in `map`
// and that has no `command`, at the container's line, naming the container,
// the image and `map.source()` (or that no ebb-local.yaml was found).
std::vector<spec::Diagnostic> CheckLocalImages(const spec::Manifests& manifests,
                                               const ImageMap& map);

}  // namespace ebb::executors::local

#endif  // EBB_EXECUTORS_LOCAL_CHECK_IMAGES_H_
