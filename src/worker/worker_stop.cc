// SPDX-License-Identifier: Apache-2.0
// Worker: stopping (SIGTERM) while a request is in inference. The model
// reports each denoising step (inference/text_to_image.h ProgressCallback);
// once a stop is requested the worker lets the request finish when it will
// within options_.finish_within, else stops the model and hands the request
// back unchanged, so it is redelivered without using an attempt.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"
#include "queue/dead_letters.h"
#include "worker/worker.h"

namespace ebb::worker {

inference::ProgressCallback Worker::StopWatch(const std::string& id,
                                              int images_after,
                                              absl::Time image_started) {
  return [this, id, images_after,
          image_started](const inference::StepProgress& p) {
    if (!stop_requested() || finishing_)
      return inference::StepAction::kContinue;
    const int done = std::max(1, p.step);
    const absl::Duration per_step = (clock_.Now() - image_started) / done;
    const int64_t steps_left =
        std::max(0, p.steps - p.step) + int64_t{images_after} * p.steps;
    const absl::Duration left = per_step * steps_left;
    const std::string about =
        absl::FormatDuration(absl::Trunc(left, absl::Milliseconds(100)));
    if (left <= options_.finish_within) {
      finishing_ = true;
      EBB_LOG_INFO(
          "worker {}: stop requested; request {} finishes in about {}: "
          "finishing it",
          options_.worker_name, id, about);
      return inference::StepAction::kContinue;
    }
    EBB_LOG_INFO(
        "worker {}: stop requested; request {} would need about {} more "
        "(step {} of {}): stopping inference and handing it back",
        options_.worker_name, id, about, p.step, p.steps);
    return inference::StepAction::kStop;
  };
}

absl::Status Worker::HandBack(const queue::Delivery& d, const std::string& id) {
  EBB_LOG_INFO("worker {}: stop requested; handing request {} back",
               options_.worker_name, id);
  // Republished as it came (same headers, attempt count included; broker-set
  // headers such as x-delivery-count dropped) and the
  // original acked, so the next holder does not see a redelivery: no attempt
  // is used. If the republish fails, Nack with requeue.
  queue::OutgoingMessage out;
  out.body = d.body;
  out.message_id = d.message_id;
  out.headers = d.headers;
  queue::StripBrokerHeaders(out.headers);
  ++stats_.handed_back;
  if (mq_.Publish(d.queue.empty() ? options_.queue : d.queue, out).ok()) {
    return Annotate(mq_.Ack(d), "while handing a message back");
  }
  return Annotate(mq_.Nack(d, /*requeue=*/true),
                  "while handing a message back");
}

}  // namespace ebb::worker
