// SPDX-License-Identifier: Apache-2.0
//
// File: worker/control.h
//
// The request control channel (docs/delivery.md "Progress, cancel and
// delete"): small objects beside the result record in the object store, which
// every mode shares (single-node and RabbitMQ alike), so `ebb up` and the
// workers need no other connection:
//
//   <id>.progress  written by the worker that runs the request, at most once
//                  per WorkerOptions::control_interval: {"id", "status":
//                  "running", "step", "steps", "image", "images", "worker",
//                  "updated_at"}; removed once the record is stored.
//   <id>.cancel    written by the API (POST .../cancel): {"id",
//                  "requested_at"}. A worker that takes the message acks it
//                  and records status "cancelled"; one running it stops
//                  between steps and does the same. Never requeued.
//   <id>.submitted written by `ebb up` when it publishes a request to an
//                  external broker (RabbitMQ), whose queue cannot be listed:
//                  the task message plus "submitted_at", so the API knows a
//                  queued request before any worker reports it. Superseded by
//                  the record; removed with the request (DELETE).
//   <id>.deleted   the tombstone written by the API (DELETE) before it removes
//                  the images and the record: {"id", "deleted_at"}. A worker
//                  that takes the message acks and drops it; one running it
//                  stops, removes what it stored, and never writes the record.
//                  Kept for good, so a late redelivery cannot bring it back.
//
// None of these keys ends in ".json", so readers of result records (the
// gallery, the reference demo's UI) never mistake them for records.
//
// Pure functions; thread-safe.
#ifndef EBB_WORKER_CONTROL_H_
#define EBB_WORKER_CONTROL_H_

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace ebb::worker {

inline constexpr char kProgressSuffix[] = ".progress";
inline constexpr char kCancelSuffix[] = ".cancel";
inline constexpr char kTombstoneSuffix[] = ".deleted";
inline constexpr char kSubmittedSuffix[] = ".submitted";

std::string ProgressKey(const std::string& id);   // "<id>.progress"
std::string CancelKey(const std::string& id);     // "<id>.cancel"
std::string TombstoneKey(const std::string& id);  // "<id>.deleted"
std::string SubmittedKey(const std::string& id);  // "<id>.submitted"

// "2026-01-01T00:00:00.000Z".
std::string IsoTime(absl::Time t);

struct Progress {
  std::string id;
  int step = 0;    // denoising steps done of the current image, 0..steps
  int steps = 0;   // steps per image
  int image = 1;   // the image being generated, 1..images
  int images = 1;  // images of the request
  std::string worker;
  absl::Time updated_at;
};

std::string ProgressJson(const Progress& p);
// nullopt for text that is not a progress object (within the JSON limits).
std::optional<Progress> ParseProgress(const std::string& text);

// {"id", "requested_at"} / {"id", "deleted_at"}.
std::string CancelJson(const std::string& id, absl::Time at);
std::string TombstoneJson(const std::string& id, absl::Time at);
// The task message `task_json` (a JSON object) with "submitted_at" added;
// nullopt when `task_json` is not a JSON object.
std::optional<std::string> SubmittedJson(const std::string& task_json,
                                         absl::Time at);

// Whether `key` is "<id>-<n>.png" of request `id` (n a positive integer), so
// that deleting request "a" never takes "a-b-1.png" of request "a-b".
bool IsImageKeyOf(const std::string& key, const std::string& id);

}  // namespace ebb::worker

#endif  // EBB_WORKER_CONTROL_H_
