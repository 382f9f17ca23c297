// SPDX-License-Identifier: Apache-2.0
//
// File: http/wait_estimate.h
//
// WaitEstimator: how long a queued request will wait before a worker takes
// it (docs/api.md "Requests", `estimate`). The basis, stated in each answer:
//
//   wait_s = (position - 1) / workers * per_request_s
//
//   position       1 + the requests ready ahead of it. Only ebb's embedded
//                  queue knows it (oldest first); a RabbitMQ queue cannot tell
//                  where a message is, so there `position` is null and the
//                  whole ready depth counts as ahead (an upper bound).
//   per_request_s  the mean wall time of the newest (up to 20) done records:
//                  model_load_ms + inference_ms + upload_ms (in job mode each
//                  job loads the model, so the cold start is part of it).
//   workers        unfinished jobs of every ScaledJob (running or pending),
//                  at least 1.
// No done record yet: wait_s is null and the basis says so. The samples and
// the job count are cached for 2 s, so polling many requests costs one store
// listing per 2 s.
//
// Thread-safe.
#ifndef EBB_HTTP_WAIT_ESTIMATE_H_
#define EBB_HTTP_WAIT_ESTIMATE_H_

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/time/time.h"
#include "http/api_context.h"

namespace ebb::http {

class WaitEstimator {
 public:
  // `ctx` must outlive the estimator.
  explicit WaitEstimator(const ApiContext& ctx) : ctx_(ctx) {}

  // {"wait_s": S|null, "run_s": R|null, "position": P|null, "workers": W,
  //  "basis": "..."} for a queued request at `position` (1 = next; nullopt =
  // unknown: the queue's ready depth is used as the position).
  nlohmann::json ForQueued(std::optional<int64_t> position);

  // 1-based positions of the embedded queue's ready requests, oldest first
  // (id -> position); empty without the embedded queue.
  std::map<std::string, int64_t> Positions();

 private:
  struct Basis {
    std::optional<double> per_request_s;
    int samples = 0;
    int workers = 1;
    std::optional<int64_t> ready;  // the work queue's ready depth
  };
  Basis Current();

  const ApiContext& ctx_;
  std::mutex mu_;
  absl::Time refreshed_ = absl::InfinitePast();  // guarded by mu_
  Basis basis_;                                  // guarded by mu_
};

}  // namespace ebb::http

#endif  // EBB_HTTP_WAIT_ESTIMATE_H_
