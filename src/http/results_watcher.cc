// SPDX-License-Identifier: Apache-2.0
#include "http/results_watcher.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json_limits.h"
#include "common/log.h"
#include "queue/dead_letters.h"
#include "worker/control.h"

namespace ebb::http {
namespace {

constexpr char kRecordSuffix[] = ".json";
constexpr char kObjects[] = "/api/v1/objects/";

// The image keys a done record lists; empty for any other record.
std::vector<std::string> DoneImages(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_object() || j.value("status", "") != "done") return out;
  auto it = j.find("images");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& k : *it) {
    if (k.is_string()) out.push_back(k.get<std::string>());
  }
  return out;
}

// Depth of `queue`, 0 when it does not exist (yet).
absl::StatusOr<int64_t> Ready(queue::MessageQueue& mq,
                              const std::string& queue) {
  auto d = mq.Depth(queue);
  if (absl::IsNotFound(d.status())) return 0;
  if (!d.ok()) return d.status();
  return d->ready;
}

}  // namespace

void RecordPhaseMetrics(metrics::Registry& metrics,
                        const nlohmann::json& record) {
  static const std::vector<double> kBounds = {0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                              5,    10,  20,   40,  80, 160};
  static const std::pair<const char*, const char*> kPhases[] = {
      {"text_encode_ms", "ebb_worker_text_encode_seconds"},
      {"denoise_ms", "ebb_worker_denoise_seconds"},
      {"decode_ms", "ebb_worker_decode_seconds"},
      {"inference_ms", "ebb_worker_inference_seconds"}};
  if (!record.is_object() || record.value("status", "") != "done") return;
  const auto model = record.find("model");
  const metrics::Labels labels = {
      {"model", model != record.end() && model->is_string()
                    ? model->get<std::string>()
                    : std::string()}};
  for (const auto& [field, name] : kPhases) {
    metrics.Describe(name, "histogram",
                     absl::StrCat("Worker time per done request in ", field,
                                  " (from the result records), seconds."));
    auto v = record.find(field);
    if (v == record.end() || !v->is_number()) continue;
    metrics.Observe(name, labels, v->get<double>() / 1000.0, kBounds);
  }
}

std::optional<nlohmann::json> ProgressEvent(const std::string& text) {
  std::optional<worker::Progress> p = worker::ParseProgress(text);
  if (!p || p->id.empty()) return std::nullopt;
  nlohmann::json progress = {
      {"step", p->step},
      {"steps", p->steps},
      {"image", p->image},
      {"images", p->images},
      {"updated_at", p->updated_at == absl::InfinitePast()
                         ? nlohmann::json()
                         : nlohmann::json(worker::IsoTime(p->updated_at))}};
  return nlohmann::json{{"id", p->id},
                        {"status", "running"},
                        {"worker", p->worker},
                        {"progress", std::move(progress)}};
}

std::optional<nlohmann::json> RequestEventFromRecord(const std::string& id,
                                                     const std::string& text) {
  if (!JsonNestingWithin(text)) return std::nullopt;  // a foreign, hostile file
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("status") ||
      !j["status"].is_string()) {
    return std::nullopt;
  }
  nlohmann::json event = {{"id", id}, {"status", j["status"]}};
  if (j.contains("attempt")) event["attempt"] = j["attempt"];
  if (j.contains("error") && !j["error"].is_null()) event["error"] = j["error"];
  return event;
}

ResultsWatcher::ResultsWatcher(storage::ObjectStore& store, EventHub& hub,
                               ResultsWatcherOptions options)
    : store_(store), hub_(hub), options_(std::move(options)) {}

ResultsWatcher::~ResultsWatcher() { Stop(); }

void ResultsWatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  // The first round (remembering, publishing nothing) runs before Start
  // returns, so that no record written afterwards is taken for an old one.
  absl::Status primed = PollOnce();
  if (!primed.ok()) {
    EBB_LOG_WARN("results watcher: cannot list the results: {}",
                 primed.ToString());
  }
  thread_ = std::thread([this] { Run(); });
}

void ResultsWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ResultsWatcher::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void ResultsWatcher::Run() {
  bool warned = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                 [this] { return stop_ || woken_; });
    if (stop_) break;
    woken_ = false;
    lock.unlock();
    absl::Status s = PollOnce();
    if (!s.ok() && !warned) {
      EBB_LOG_WARN("results watcher: cannot list the results: {}",
                   s.ToString());
    }
    warned = !s.ok();
    lock.lock();
  }
}

absl::Status ResultsWatcher::PollOnce() {
  std::lock_guard<std::mutex> lock(poll_mu_);
  PollQueue();
  auto listed = store_.List("");
  if (!listed.ok()) return listed.status();
  std::set<std::string> keys;
  for (const auto& o : *listed) keys.insert(o.key);

  std::map<std::string, std::string> progress_now;
  for (const auto& o : *listed) {
    if (!absl::EndsWith(o.key, worker::kProgressSuffix) ||
        absl::StrContains(o.key, "/")) {
      continue;
    }
    const std::string version =
        absl::StrCat(o.etag, "|", o.size, "|", absl::ToUnixNanos(o.modified));
    auto it = progress_.find(o.key);
    progress_now[o.key] = version;
    if (!primed_ || !options_.progress_events ||
        (it != progress_.end() && it->second == version)) {
      continue;
    }
    auto text = store_.Get(o.key);
    if (!text.ok()) continue;
    if (auto event = ProgressEvent(*text)) {
      hub_.Publish("request", std::move(*event));
    }
  }
  progress_ = std::move(progress_now);

  std::map<std::string, Seen> now;
  for (const auto& o : *listed) {
    if (!absl::EndsWith(o.key, kRecordSuffix) ||
        absl::StrContains(o.key, "/")) {
      continue;
    }
    Seen seen{o.etag, o.size, o.modified, !primed_};
    auto it = records_.find(o.key);
    const bool same = it != records_.end() && it->second.etag == o.etag &&
                      it->second.size == o.size &&
                      it->second.modified == o.modified;
    if (same) seen.images_sent = it->second.images_sent;
    if (primed_ && (!same || !seen.images_sent)) {
      const std::string id =
          o.key.substr(0, o.key.size() - (sizeof(kRecordSuffix) - 1));
      auto text = store_.Get(o.key);
      if (!text.ok()) continue;  // deleted since the list, or refused
      if (!same && options_.request_events) {
        if (auto event = RequestEventFromRecord(id, *text))
          hub_.Publish("request", std::move(*event));
      }
      // The worker stores the images before the record, but a listing may
      // catch the record first: images are announced once all are listed.
      const nlohmann::json record =
          JsonNestingWithin(*text)
              ? nlohmann::json::parse(*text, nullptr, false)
              : nlohmann::json();
      if (!same && options_.metrics != nullptr) {
        RecordPhaseMetrics(*options_.metrics, record);
      }
      const std::vector<std::string> images = DoneImages(record);
      bool all = !images.empty();
      for (const auto& k : images) all = all && keys.count(k) > 0;
      if (all) {
        nlohmann::json urls = nlohmann::json::array();
        for (const auto& k : images) urls.push_back(kObjects + k);
        hub_.Publish("images", {{"id", id}, {"images", std::move(urls)}});
      }
      seen.images_sent = all || images.empty();
    }
    now[o.key] = std::move(seen);
  }
  records_ = std::move(now);
  primed_ = true;
  return absl::OkStatus();
}

void ResultsWatcher::PollQueue() {
  if (options_.work_queue.empty() || !options_.open_queue) return;
  if (mq_ == nullptr) {
    auto opened = options_.open_queue();
    if (!opened.ok() || *opened == nullptr) {
      if (!queue_warned_) {
        EBB_LOG_WARN("results watcher: cannot open the queue for its depth: {}",
                     opened.ok() ? "no queue" : opened.status().ToString());
      }
      queue_warned_ = true;
      return;
    }
    mq_ = std::move(*opened);
  }
  auto ready = Ready(*mq_, options_.work_queue);
  auto dead = Ready(*mq_, queue::DeadLetterQueueName(options_.work_queue));
  if (!ready.ok() || !dead.ok()) {
    if (!queue_warned_) {
      EBB_LOG_WARN("results watcher: cannot read the depth of {}: {}",
                   options_.work_queue,
                   (!ready.ok() ? ready.status() : dead.status()).ToString());
    }
    queue_warned_ = true;
    mq_.reset();  // reopened at the next round
    return;
  }
  queue_warned_ = false;
  nlohmann::json event = {{"queue", options_.work_queue},
                          {"ready", *ready},
                          {"leased", nullptr},
                          {"dead", *dead}};
  if (last_queue_ == event) return;
  last_queue_ = event;
  hub_.Publish("queue", std::move(event));
}

}  // namespace ebb::http
