// SPDX-License-Identifier: Apache-2.0
//
// File: cli/model_cli.h
//
// The commands that run a model, and the process boundary around libtorch.
// `ebb` never links or loads libtorch (the no_libtorch_in_ebb test checks a
// running `ebb up`): `ebb worker --model sim` runs in `ebb`; `ebb worker`
// with any other model, and `ebb generate`, replace the `ebb` process with
// the inference binary `ebb-diffusion` (execv: same pid, same environment,
// open descriptors and signal handling, so the local executor and its
// supervisor see no difference). ebb-diffusion parses the same command line
// with the same flag definitions (model_flags.h) and runs the same worker
// loop (RunWorker) with a model factory that also builds diffusion models.
// `ebb tokenize` needs no libtorch and runs in `ebb`.
#ifndef EBB_CLI_MODEL_CLI_H_
#define EBB_CLI_MODEL_CLI_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "inference/text_to_image.h"

namespace ebb::cli {

// Builds the model a worker serves (not loaded yet: Worker::Run loads it).
// InvalidArgument = a usage error (exit 2); other errors exit 1.
using ModelFactory =
    std::function<absl::StatusOr<std::unique_ptr<inference::TextToImage>>(
        const ModelCliOptions&)>;

// Whether `model` names the procedural stand-in ("sim"; "" is the bundled
// model, cli/bundled_model.h).
bool IsSimModel(const std::string& model);

// The sim (EBB_SIM_* env, inference/sim); InvalidArgument for a model that
// is not the sim or a bad EBB_SIM_* value.
absl::StatusOr<std::unique_ptr<inference::TextToImage>> MakeSimModel(
    const ModelCliOptions& o);

// `ebb worker`: the loop of worker/worker.h with the queue, store and signals
// wired from `o` and the model from `make_model`. Exit code.
int RunWorker(const WorkerCliOptions& o, const ModelFactory& make_model);

// The inference binary: $EBB_DIFFUSION_BIN when set, else `ebb-diffusion`
// beside this executable (a build tree), else EBB_LIBEXEC_REL/ebb-diffusion
// relative to it (an install: <prefix>/libexec/ebb/). NotFound naming every
// place looked and how to get it (a build with libtorch).
absl::StatusOr<std::string> FindDiffusionBinary();

// Replaces this process with ebb-diffusion given this process's own
// arguments (argv[1..]). Returns only on failure: logs why (`what` names the
// command, e.g. "ebb worker --model /models/sd-turbo") and returns 1.
int ExecDiffusion(const std::string& what, int argc, char** argv);

// `ebb generate`: one-shot generation without a queue (ebb-diffusion only).
struct GenerateOptions {
  ModelCliOptions model;
  std::string prompt;
  std::string negative_prompt;
  std::optional<int64_t> seed;  // unset = a random one, printed
  // Unset = the model's defaults (TextToImage::defaults(): 1 step and
  // guidance 1.0, sd-turbo's, unless the model folder declares its own).
  std::optional<int> steps;
  std::optional<double> guidance_scale;
  std::string scheduler;  // "" = the model's
  int width = 512, height = 512;
  int count = 1;
  std::string out_dir = ".";
  std::string output = "text";  // text | json (stdout); progress on stderr
};
int RunGenerate(const GenerateOptions& o);

// `ebb tokenize -m MODEL "TEXT"`: the CLIP token ids of TEXT as the model's
// tokenizer makes them (BOS, content, EOS, padding to 77), and whether the
// prompt is cut.
struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string output = "text";
};
int RunTokenize(const TokenizeOptions& o);

}  // namespace ebb::cli

#endif  // EBB_CLI_MODEL_CLI_H_
