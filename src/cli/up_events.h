// SPDX-License-Identifier: Apache-2.0
//
// File: cli/up_events.h
//
// Glue between `ebb up`'s parts: scale decisions and embedded-queue changes
// become live events (docs/api.md "Live events"), queue changes wake the scale
// loop, and dead letters are read from the work queue's broker.
#ifndef EBB_CLI_UP_EVENTS_H_
#define EBB_CLI_UP_EVENTS_H_

#include <functional>
#include <string>

#include "controller/controller.h"
#include "http/api_context.h"
#include "http/events.h"
#include "queue/embedded/embedded_queue.h"
#include "storage/object_store.h"

namespace ebb::cli {

// Publishes a `decision` event: the poll record's JSON plus "scaledJob".
void PublishDecision(http::EventHub& hub, const std::string& scaled_job,
                     const controller::PollRecord& record);

// A listener for EmbeddedQueue::SetListener: `request` events (status queued,
// running, done or failed — done/failed read from the stored record), `queue`
// depth events, and a wake-up of the scale loops watching the queue whenever a
// message becomes ready. `on_finished` (may be empty) runs after each ack of
// a message, e.g. to have the results watcher look for new images at once.
// Everything referenced must outlive the queue's use.
std::function<void(const queue::embedded::QueueEvent&)> QueueEventForwarder(
    http::EventHub& hub, controller::Controller& controller,
    queue::embedded::EmbeddedQueue& queue, storage::ObjectStore& store,
    std::function<void()> on_finished = {});

// Opens the work queue for dead letters: the embedded queue (not owned) when
// the first ScaledJob's trigger is ebb-queue, else its RabbitMQ broker.
http::QueueOpener DeadLetterQueueOpener(
    controller::Controller& controller,
    queue::embedded::EmbeddedQueue* embedded);

}  // namespace ebb::cli

#endif  // EBB_CLI_UP_EVENTS_H_
