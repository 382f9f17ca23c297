// SPDX-License-Identifier: Apache-2.0
//
// File: worker/task.h
//
// The task message (DESIGN.md "Task message"): a JSON object
//   {"prompt": "...", "count": 1}
// plus ebb's optional fields id, negative_prompt, seed, steps, width, height,
// guidance_scale and model. ParseTask checks the limits below and names every
// violation, because an invalid message is dead-lettered with that reason.
//
//   prompt          string, required, non-empty, <= 2000 characters (UTF-8
//                   code points). Kept exactly as sent: the demo UI sometimes
//                   sends it wrapped in literal JSON quotes, and they stay.
//   count           integer 1..4, default 1 (images per request)
//   id              string, 1..128 of [A-Za-z0-9._-], not starting with '.';
//                   it names the results "<id>-<n>.png" and "<id>.json"
//   negative_prompt string, <= 2000 characters, default ""
//   seed            integer 0..4294967295; -1 or absent = derived from the id
//                   (DeriveSeed), so a redelivered request renders the same
//                   bytes
//   steps           integer 1..150, default TaskDefaults::steps (the
//                   model's: 1 for sd-turbo, 20 for the bundled model)
//   width, height   integer 64..2048, multiple of 8, default 512 (pixels)
//   guidance_scale  number 0..30, default TaskDefaults::guidance_scale
//   model           string, default "" (= whatever the worker serves)
//   scheduler       string, default "" (= the model's own); else one of
//                   euler, euler_a, ddim, lcm (kSchedulers)
// A JSON null counts as absent. Unknown fields are ignored.
//
// Before any JSON is parsed, the body must be at most kMaxBodyBytes and nest
// arrays/objects at most kMaxJsonDepth deep (checked by a non-recursive scan,
// CheckJsonLimits): nlohmann-json parses recursively, and a body nested
// ~100,000 levels deep would overflow the stack and kill the worker.
//
// Pure functions; thread-safe.
#ifndef EBB_WORKER_TASK_H_
#define EBB_WORKER_TASK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ebb::worker {

inline constexpr int kMaxPromptChars = 2000;
inline constexpr int kMaxCount = 4;
inline constexpr int kMaxIdBytes = 128;
// A valid task is a flat object of a few KB; these bound what the worker
// hands to the JSON parser.
inline constexpr size_t kMaxBodyBytes = 256 * 1024;
inline constexpr int kMaxJsonDepth = 32;  // = common kMaxJsonNesting
// The schedulers a task may ask for (the diffusion backend's).
inline constexpr const char* kSchedulers[] = {"euler", "euler_a", "ddim",
                                              "lcm"};

// OK when `body` is at most kMaxBodyBytes and its arrays/objects nest at most
// kMaxJsonDepth deep; InvalidArgument ("invalid task: body is N bytes (max
// ...)" / "invalid task: JSON nested more than 32 levels deep") otherwise.
// Iterative (constant stack), strings and escapes skipped; it does not
// validate the JSON otherwise.
absl::Status CheckJsonLimits(const std::string& body);

struct Task {
  std::string id;  // "" when the message has none (see ResolveId in worker)
  std::string prompt;
  std::string negative_prompt;
  int count = 1;
  std::optional<uint64_t> seed;  // nullopt = derive from the id
  int steps = 1;
  int width = 512;   // pixels
  int height = 512;  // pixels
  double guidance_scale = 1.0;
  std::string model;      // "" = the worker's model
  std::string scheduler;  // "" = the model's; else one of kSchedulers
};

// What a message without steps or guidance_scale gets: the worker passes its
// model's (TextToImage::defaults()); others (the API's pre-check) the base
// ones, which validation does not depend on.
struct TaskDefaults {
  int steps = 1;
  double guidance_scale = 1.0;
};

// Parses and validates a message body. InvalidArgument with a message such as
// "invalid task: count 7 out of range (want 1..4)" or "invalid task: body is
// not valid JSON: ..." on any violation.
absl::StatusOr<Task> ParseTask(const std::string& body,
                               const TaskDefaults& defaults = {});

// OK when `id` may name results (the id rule above); InvalidArgument if not.
absl::Status ValidateTaskId(const std::string& id);

// The seed used when the task has none: StableHash(id) folded to 32 bits.
uint64_t DeriveSeed(const std::string& id);

// `body` (a JSON object) with its "id" field set to `id`; every other field
// is kept. InvalidArgument when `body` is not a JSON object or breaks the
// limits of CheckJsonLimits.
absl::StatusOr<std::string> WithId(const std::string& body,
                                   const std::string& id);

// Best-effort fields of an invalid body, for the failed record: the "id" (if
// it passes ValidateTaskId) and "prompt" (if a string); everything else keeps
// its default; nothing when the body breaks CheckJsonLimits. Never fails.
Task SalvageTask(const std::string& body);

}  // namespace ebb::worker

#endif  // EBB_WORKER_TASK_H_
