// SPDX-License-Identifier: Apache-2.0
//
// File: worker/record.h
//
// The result record "<id>.json" (DESIGN.md "Results"). It carries the
// reference demo's field names, so its gallery can read ebb's results, and
// ebb's own fields:
//
//   prompt, negative_prompt        strings, as in the task
//   image_width, image_height      pixels
//   inference_steps                int
//   guidance_scale                 number
//   number_of_images               the task's count
//   seed                           the base seed used (image n uses seed+n-1)
//   lcm_model_id                   the model name (same as "model")
//   id, model                      strings
//   status                         "done", "failed" or "cancelled" (a
//                                  cancel seen before the request finished;
//                                  worker/control.h)
//   error                          string when failed, null otherwise
//   attempt                        1-based number of the attempt that wrote it
//   worker                         the worker's name (job or host)
//   queue_wait_ms                  enqueue stamp to take, or null if unstamped
//   model_load_ms                  the worker's model load, for the first
//                                  request it processes (the cold start that
//                                  request waited for); 0 for later ones and
//                                  for requests failed without processing
//   inference_ms                   generating + PNG-encoding all images
//   upload_ms                      storing the images (not the record)
//   What ran (null in a record failed before any image was generated):
//   scheduler                      the scheduler used: euler, euler_a, ddim,
//                                  lcm; "sim" for the procedural stand-in
//   steps                          denoising steps run per image
//   text_encode_ms, denoise_ms,    the model's phases, summed over the
//   decode_ms                      request's images (inference_ms also
//                                  holds tokenizing, PNG encoding, ...)
//   prompt_tokens                  prompt tokens before truncation (no
//                                  BOS/EOS; 0 for the sim)
//   truncated                      the prompt was cut to the text encoder's
//                                  context (75 tokens for CLIP)
//   device                         where it ran: "cpu" or "cuda"
//   native_width, native_height    the size the model generated at: the
//                                  image size, or the model's native size
//                                  when the image was upscaled from it
//   created_at                     ISO 8601 UTC, e.g. 2026-01-01T00:00:00.000Z
//   images                         the keys written, ["<id>-1.png", ...];
//                                  [] when failed or cancelled
// Pretty-printed with a 4-space indent, as the demo's records are.
//
// Pure functions; thread-safe.
#ifndef EBB_WORKER_RECORD_H_
#define EBB_WORKER_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "inference/text_to_image.h"
#include "worker/task.h"

namespace ebb::worker {

struct ResultRecord {
  Task task;          // as parsed (id set)
  uint64_t seed = 0;  // the seed actually used
  std::string model;
  bool done = false;       // false = failed (or cancelled)
  bool cancelled = false;  // with done false: status "cancelled"
  std::string error;       // when failed
  int attempt = 1;
  std::string worker;
  std::optional<int64_t> queue_wait_ms;
  int64_t model_load_ms = 0;
  int64_t inference_ms = 0;
  int64_t upload_ms = 0;
  absl::Time created_at;
  std::vector<std::string> images;
  // What ran, phase timings summed over the images (RecordJson fields
  // scheduler ... native_height); nullopt = no image generated.
  std::optional<inference::GenerationInfo> generation;
};

// Folds one image's info into a request's: the first is copied, later ones
// add their phase times.
void AddGeneration(const inference::GenerationInfo& image,
                   std::optional<inference::GenerationInfo>* request);

// "<id>-<n>.png", n counting from 1.
std::string ImageKey(const std::string& id, int n);
// "<id>.json".
std::string RecordKey(const std::string& id);

// The record as JSON text (see the field list above).
std::string RecordJson(const ResultRecord& record);

// Whether `json` is a record with status "done" (false for anything else,
// JSON nested too deeply included).
bool IsDoneRecord(const std::string& json);
// Whether `json` is a record with status "cancelled".
bool IsCancelledRecord(const std::string& json);

}  // namespace ebb::worker

#endif  // EBB_WORKER_RECORD_H_
