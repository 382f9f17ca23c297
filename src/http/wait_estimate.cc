// SPDX-License-Identifier: Apache-2.0
#include "http/wait_estimate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "http/request_view.h"
#include "queue/embedded/embedded_queue.h"

namespace ebb::http {
namespace {

constexpr int kSamples = 20;
constexpr absl::Duration kCacheFor = absl::Seconds(2);

double Ms(const nlohmann::json& r, const char* k) {
  auto it = r.find(k);
  return it != r.end() && it->is_number() ? it->get<double>() : 0;
}

}  // namespace

WaitEstimator::Basis WaitEstimator::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = absl::Now();
  if (now - refreshed_ < kCacheFor) return basis_;
  Basis b;
  if (ctx_.store != nullptr) {
    if (auto listed = ctx_.store->List(""); listed.ok()) {
      std::vector<storage::ObjectInfo> records;
      for (auto& o : *listed) {
        if (absl::EndsWith(o.key, ".json") && !absl::StrContains(o.key, "/")) {
          records.push_back(std::move(o));
        }
      }
      std::sort(
          records.begin(), records.end(),
          [](const auto& a, const auto& c) { return a.modified > c.modified; });
      double total = 0;
      // Read at most 2 * kSamples records to find kSamples done ones.
      for (size_t i = 0; i < records.size() && i < 2 * kSamples; ++i) {
        if (b.samples >= kSamples) break;
        auto r = ReadRecord(
            ctx_.store, records[i].key.substr(0, records[i].key.size() - 5));
        if (!r || r->value("status", "") != "done") continue;
        total += Ms(*r, "model_load_ms") + Ms(*r, "inference_ms") +
                 Ms(*r, "upload_ms");
        ++b.samples;
      }
      if (b.samples > 0) b.per_request_s = total / b.samples / 1000.0;
    }
  }
  if (ctx_.executor != nullptr) {
    if (auto jobs = ctx_.executor->List("", ""); jobs.ok()) {
      int unfinished = 0;
      for (const auto& j : *jobs) unfinished += j.Finished() ? 0 : 1;
      b.workers = std::max(1, unfinished);
    }
  }
  if (ctx_.embedded_queue != nullptr) {
    if (auto d = ctx_.embedded_queue->Depths(ctx_.work_queue); d.ok()) {
      b.ready = d->ready;
    }
  } else if (ctx_.open_queue) {
    if (auto mq = ctx_.open_queue(); mq.ok() && *mq != nullptr) {
      if (auto d = (*mq)->Depth(ctx_.work_queue); d.ok()) b.ready = d->ready;
    }
  }
  basis_ = b;
  refreshed_ = now;
  return b;
}

std::map<std::string, int64_t> WaitEstimator::Positions() {
  std::map<std::string, int64_t> out;
  if (ctx_.embedded_queue == nullptr) return out;
  auto rows = ctx_.embedded_queue->Requests(
      queue::embedded::RequestState::kQueued, 2000);
  if (!rows.ok()) return out;
  // Newest first: the last row is next.
  const int64_t n = static_cast<int64_t>(rows->size());
  for (int64_t i = 0; i < n; ++i) out[(*rows)[i].id] = n - i;
  return out;
}

nlohmann::json WaitEstimator::ForQueued(std::optional<int64_t> position) {
  const Basis b = Current();
  nlohmann::json out = {{"position", nullptr},
                        {"workers", b.workers},
                        {"run_s", nullptr},
                        {"wait_s", nullptr}};
  std::optional<int64_t> ahead;
  std::string where;
  if (position.has_value()) {
    out["position"] = *position;
    ahead = std::max<int64_t>(0, *position - 1);
    where = absl::StrFormat("%d request(s) ahead in the queue", *ahead);
  } else if (b.ready.has_value()) {
    ahead = std::max<int64_t>(0, *b.ready - 1);
    where = absl::StrFormat(
        "queue depth %d (the broker cannot tell a message's position: all "
        "counted as ahead)",
        *b.ready);
  }
  if (!b.per_request_s.has_value()) {
    out["basis"] = "no finished request to time yet";
    return out;
  }
  out["run_s"] = std::round(*b.per_request_s * 10) / 10;
  if (!ahead.has_value()) {
    out["basis"] = "queue depth unknown";
    return out;
  }
  const double wait = *ahead * *b.per_request_s / b.workers;
  out["wait_s"] = std::round(wait * 10) / 10;
  out["basis"] = absl::StrFormat(
      "%s x %.1f s per request (mean of the last %d done) / %d worker(s)",
      where, *b.per_request_s, b.samples, b.workers);
  return out;
}

}  // namespace ebb::http
