// SPDX-License-Identifier: Apache-2.0
//
// File: cli/bundled_model.h
//
// The bundled model (models/ebb-shapes: a tiny text-to-image diffusion model
// trained by tools/train_tiny, see its README.md) is what `ebb worker`,
// `ebb generate` and the jobs of `ebb up` run when no model is named
// (--model / EBB_MODEL unset). It is a diffusers folder like any other and
// runs in ebb-diffusion through the same pipeline as sd-turbo.
//
// "sim" names the procedural stand-in explicitly (it runs inside `ebb`, in
// milliseconds; the tests and benchmarks of scaling use it).
//
// Thread-safety: pure functions over the file system and the environment.
#ifndef EBB_CLI_BUNDLED_MODEL_H_
#define EBB_CLI_BUNDLED_MODEL_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ebb::cli {

inline constexpr char kBundledModelName[] = "ebb-shapes";

// The bundled model's folder: <bin>/../share/ebb/models/ebb-shapes (an
// install), else the source tree's models/ebb-shapes when this binary is one
// of its build tree (or sits at build/src/cli/ of a checkout); <bin> is this
// executable's directory. "" when none holds a model_index.json; `tried`
// (may be null) receives every place looked at.
std::string FindBundledModel(std::vector<std::string>* tried);

struct ResolvedModel {
  std::string model;  // what to run: "sim", or a model path
  // For the log when the model was not named: which default and why, e.g.
  // "no --model or EBB_MODEL: the bundled model ebb-shapes (DIR)"; empty
  // when `model` was named.
  std::string note;
  bool fell_back = false;  // the sim, because the bundled model cannot run
};

// `named` as --model / EBB_MODEL gave it; "" = the default: the bundled model
// when both it and the inference binary (FindDiffusionBinary) are found,
// else the sim, with a note saying what is missing and how to get it.
ResolvedModel ResolveModel(const std::string& named);

// What GET /api/v1/model says of the model `ebb up`'s jobs serve, resolved
// as a worker would (`named` = EBB_MODEL from --worker-env, "" = none):
// {"model": name ("sim", "ebb-shapes", a folder's name), "bundled": bool,
//  "example_prompts": [...] (from its model_index.json, config/
//  model_extras.h; empty when none or unreadable)}. Reads JSON only.
nlohmann::json DescribeModel(const std::string& named);

}  // namespace ebb::cli

#endif  // EBB_CLI_BUNDLED_MODEL_H_
