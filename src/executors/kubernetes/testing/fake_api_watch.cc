// SPDX-License-Identifier: Apache-2.0
//
// The double's watch streams: newline-separated events from the store's
// history, BOOKMARKs, timeoutSeconds, 410 Expired, dropped connections.
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "executors/kubernetes/testing/fake_api_server.h"

namespace ebb::executors::kubernetes::testing {
namespace {

bool IsTrue(const std::string& v) { return v == "1" || v == "true"; }

void ReplyBadRequest(httplib::Response& res, const std::string& message) {
  res.status = 400;
  res.set_content(StatusBody(400, "BadRequest", message).dump(),
                  "application/json");
}

}  // namespace

void FakeApiServer::ServeWatch(const Route& route, const httplib::Request& req,
                               httplib::Response& res) {
  auto sel = LabelSelector::Parse(req.get_param_value("labelSelector"));
  if (!sel.ok()) {
    return ReplyBadRequest(res, std::string(sel.status().message()));
  }
  struct State {
    LabelSelector selector;
    std::vector<Json> initial;
    absl::Status gone;
    int64_t after_rv = 0;
    bool bookmarks = false;
    absl::Time end;
    absl::Time last_bookmark;
    uint64_t drop_gen = 0;
    uint64_t bookmark_gen = 0;
  };
  auto st = std::make_shared<State>();
  st->selector = *sel;
  st->bookmarks = IsTrue(req.get_param_value("allowWatchBookmarks"));
  int64_t timeout_s = 0;  // SimpleAtoi writes 0 on failure
  if (!absl::SimpleAtoi(req.get_param_value("timeoutSeconds"), &timeout_s) ||
      timeout_s <= 0) {
    timeout_s = 600;
  }
  st->end = absl::Now() + absl::Seconds(timeout_s);
  st->last_bookmark = absl::Now();
  st->drop_gen = drop_generation_.load();
  st->bookmark_gen = bookmark_generation_.load();
  const std::string rv = req.get_param_value("resourceVersion");
  if (rv.empty() || rv == "0") {
    for (Json& o :
         store_->List(route.resource, route.ns, *sel, &st->after_rv)) {
      st->initial.push_back({{"type", "ADDED"}, {"object", std::move(o)}});
    }
  } else if (!absl::SimpleAtoi(rv, &st->after_rv)) {
    return ReplyBadRequest(
        res, absl::StrCat("invalid resourceVersion \"", rv, "\""));
  } else {
    st->gone = store_->CheckWatchable(st->after_rv);
  }
  const ResourceInfo info = LookupResource(route.resource);
  ++open_watches_;
  res.set_chunked_content_provider(
      "application/json",
      [this, st, route, info](size_t, httplib::DataSink& sink) {
        auto write = [&](const Json& event) {
          const std::string line = event.dump() + "\n";
          return sink.write(line.data(), line.size());
        };
        auto expire = [&](const absl::Status& s) {
          write({{"type", "ERROR"},
                 {"object",
                  StatusBody(410, "Expired", std::string(s.message()))}});
          sink.done();
          return true;
        };
        for (const Json& e : st->initial) {
          if (!write(e)) return false;
        }
        st->initial.clear();
        if (!st->gone.ok()) return expire(st->gone);
        auto cut = [&] {
          return stopping_.load() || drop_generation_.load() != st->drop_gen;
        };
        if (cut()) return false;
        if (absl::Now() >= st->end) {
          sink.done();
          return true;
        }
        auto wake = [&] {
          return cut() || (st->bookmarks &&
                           bookmark_generation_.load() != st->bookmark_gen);
        };
        auto events = store_->WaitEvents(
            route.resource, route.ns, st->selector, &st->after_rv,
            std::min(absl::Milliseconds(200), st->end - absl::Now()), wake);
        if (!events.ok()) return expire(events.status());
        if (cut()) return false;  // dropped: deliver nothing more
        for (const WatchEvent& e : *events) {
          if (!write({{"type", e.type}, {"object", e.object}})) return false;
        }
        const bool due =
            options_.bookmark_interval > absl::ZeroDuration() &&
            absl::Now() - st->last_bookmark >= options_.bookmark_interval;
        if (st->bookmarks &&
            (due || bookmark_generation_.load() != st->bookmark_gen)) {
          st->bookmark_gen = bookmark_generation_.load();
          st->last_bookmark = absl::Now();
          if (!write({{"type", "BOOKMARK"},
                      {"object",
                       {{"kind", info.kind},
                        {"apiVersion", info.ApiVersion()},
                        {"metadata",
                         {{"resourceVersion",
                           std::to_string(st->after_rv)}}}}}})) {
            return false;
          }
        }
        return true;
      },
      [this](bool) { --open_watches_; });
}

}  // namespace ebb::executors::kubernetes::testing
