// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/events: the EventHub as Server-Sent Events (docs/api.md "Live
// events").
//
// Each connection starts after the hub's last event, or after `Last-Event-ID` /
// `?after=SEQ` when given (a reconnecting EventSource resumes; events that fell
// out of the hub's ring are skipped). The content provider waits in slices of
// at most a second, so cpp-httplib can end the stream when the server stops; a
// failed write (the client left) or a closed hub ends it too.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "http/api_context.h"
#include "http/events.h"

namespace ebb::http {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct StreamState {
  uint64_t last_seq = 0;
  bool greeted = false;
  SteadyClock::time_point last_write = SteadyClock::now();
};

bool Write(httplib::DataSink& sink, StreamState& st, const std::string& text) {
  st.last_write = SteadyClock::now();
  return sink.write(text.data(), text.size());
}

std::string FormatEvent(const Event& e) {
  // dump() without indent has no raw newlines, so one data: line suffices.
  return absl::StrCat(
      "id: ", e.seq, "\nevent: ", e.type, "\ndata: ",
      e.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "\n\n");
}

// The sequence to resume after: Last-Event-ID, else ?after=, else the hub's
// last.
uint64_t ResumeAfter(const httplib::Request& req, const EventHub& hub) {
  const uint64_t last = hub.LastSeq();
  std::string given = req.get_header_value("Last-Event-ID");
  if (given.empty() && req.has_param("after"))
    given = req.get_param_value("after");
  uint64_t seq = 0;
  if (given.empty() || !absl::SimpleAtoi(given, &seq)) return last;
  return std::min(seq, last);  // an id from an earlier run: start from now
}

}  // namespace

void RegisterEventRoutes(httplib::Server& s, ApiContext& ctx) {
  s.Get("/api/v1/events", [&ctx](const httplib::Request& req,
                                 httplib::Response& res) {
    if (!Authorize(ctx, req, res, false)) return;
    if (ctx.events == nullptr) {
      return ErrorReply(res, 503, "live events are not enabled in this server");
    }
    EventHub* hub = ctx.events;
    auto st = std::make_shared<StreamState>();
    st->last_seq = ResumeAfter(req, *hub);
    const auto keepalive =
        std::chrono::milliseconds(std::max(ctx.sse_keepalive_ms, 10));
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [hub, st, keepalive](size_t, httplib::DataSink& sink) {
          if (!st->greeted) {
            // Flushes the headers at once; EventSource retries after 2 s.
            st->greeted = true;
            return Write(sink, *st, "retry: 2000\n: connected\n\n");
          }
          const auto since_write = SteadyClock::now() - st->last_write;
          const auto slice = std::clamp<SteadyClock::duration>(
              keepalive - since_write, std::chrono::milliseconds(1),
              std::chrono::seconds(1));
          const auto start = SteadyClock::now();
          auto events = hub->WaitAfter(st->last_seq, absl::FromChrono(slice));
          if (events.empty()) {
            // WaitAfter returns early with nothing only when the hub is closed.
            if (SteadyClock::now() - start < slice / 2) {
              sink.done();
              return true;
            }
            if (SteadyClock::now() - st->last_write >= keepalive) {
              return Write(sink, *st, ": keep-alive\n\n");
            }
            return true;
          }
          for (const auto& e : events) {
            st->last_seq = e.seq;
            if (!Write(sink, *st, FormatEvent(e))) return false;
          }
          return true;
        });
  });
}

}  // namespace ebb::http
