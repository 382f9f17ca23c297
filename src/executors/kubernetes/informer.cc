// SPDX-License-Identifier: Apache-2.0
#include "executors/kubernetes/informer.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "executors/kubernetes/client/api_error.h"

namespace ebb::executors::kubernetes {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxTombstones = 1024;

std::string KeyOf(const Json& o) {
  const Json& m = o.contains("metadata") ? o["metadata"] : Json::object();
  return absl::StrCat(m.value("namespace", ""), "/", m.value("name", ""));
}

int64_t RvOf(const Json& o) {
  int64_t rv = 0;
  if (o.contains("metadata")) {
    absl::SimpleAtoi(o["metadata"].value("resourceVersion", ""), &rv);
  }
  return rv;
}

}  // namespace

Informer::Informer(KubeClient* client, InformerOptions options)
    : client_(client), options_(std::move(options)) {}

Informer::~Informer() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Informer::RequestStop() {
  stop_ = true;
  cv_.notify_all();
}

void Informer::Start() {
  thread_ = std::thread([this] { Run(); });
}

std::string Informer::Describe(const char* verb) const {
  return absl::StrCat(
      verb, " ", options_.resource,
      options_.namespace_.empty()
          ? " in all namespaces"
          : absl::StrCat(" in namespace \"", options_.namespace_, "\""));
}

absl::Status Informer::WaitSynced(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
               [&] { return list_done_; });
  lock.unlock();
  absl::Status h = health();
  if (h.ok() && !list_done_) {
    return absl::UnavailableError(
        absl::StrCat("kubernetes: cannot ", Describe("list"),
                     ": no answer within ", absl::FormatDuration(timeout)));
  }
  return h;
}

absl::Status Informer::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!list_done_) {
    return absl::UnavailableError(
        absl::StrCat("kubernetes: ", Describe("list"), ": not listed yet"));
  }
  if (!synced_ || (need_list_ && !list_error_.ok())) return list_error_;
  if (absl::Now() - watch_down_since_ > options_.max_staleness) {
    return absl::UnavailableError(absl::StrCat(
        "kubernetes: cannot ", Describe("watch"), " since ",
        absl::FormatTime(watch_down_since_), ": the cached state is stale"));
  }
  return absl::OkStatus();
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

std::vector<Json> Informer::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Json> out;
  out.reserve(objects_.size());
  for (const auto& [k, o] : objects_) out.push_back(o);
  return out;
}

void Informer::Upsert(const Json& object) {
  Json o = options_.transform ? options_.transform(object) : object;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = KeyOf(o);
  auto it = objects_.find(key);
  if (it != objects_.end() && RvOf(it->second) > RvOf(o)) return;
  auto gone = tombstones_.find(key);
  if (gone != tombstones_.end() && gone->second >= RvOf(o)) return;
  objects_[key] = std::move(o);
}

void Informer::Erase(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(absl::StrCat(ns, "/", name));
}

InformerStats Informer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::string Informer::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

void Informer::SetError(const absl::Status& error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error.message() != logged_error_.message()) {
    EBB_LOG_WARN("{}", std::string(error.message()));
    logged_error_ = error;
  }
}

void Informer::Backoff(const absl::Status& error) {
  absl::Duration wait;
  {
    std::lock_guard<std::mutex> lock(mu_);
    backoff_ = backoff_ == absl::ZeroDuration()
                   ? absl::Milliseconds(200)
                   : std::min(backoff_ * 2, absl::Seconds(30));
    wait = backoff_;
  }
  if (error.code() == absl::StatusCode::kPermissionDenied ||
      error.code() == absl::StatusCode::kUnauthenticated) {
    wait = std::max(wait, absl::Seconds(5));
  }
  wait = std::max(wait, RetryAfterOf(error));
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(wait),
               [&] { return stop_.load(); });
}

absl::Status Informer::List() {
  std::string path = options_.path;
  if (!options_.label_selector.empty()) {
    absl::StrAppend(&path, "?labelSelector=",
                    KubeClient::QueryEscape(options_.label_selector));
  }
  auto list = client_->Request("GET", path);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.lists;
  list_done_ = true;
  if (!list.ok()) {
    list_error_ = list.status();
    cv_.notify_all();
    return list.status();
  }
  std::map<std::string, Json> fresh;
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (const Json& o : (*list)["items"]) {
      fresh[KeyOf(o)] = options_.transform ? options_.transform(o) : o;
    }
  }
  rv_ = (*list)["metadata"].value("resourceVersion", "");
  // Keep what Upsert put that is newer than the list (a Job created while
  // the list was in flight): the watch from rv_ will confirm it.
  int64_t list_rv = 0;
  absl::SimpleAtoi(rv_, &list_rv);
  for (auto& [key, o] : objects_) {
    if (RvOf(o) > list_rv &&
        (!fresh.count(key) || RvOf(fresh[key]) < RvOf(o))) {
      fresh[key] = std::move(o);
    }
  }
  objects_ = std::move(fresh);
  synced_ = true;
  need_list_ = false;
  list_error_ = absl::OkStatus();
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status Informer::WatchOnce() {
  std::string path = absl::StrCat(
      options_.path,
      "?watch=1&allowWatchBookmarks=true&resourceVersion=", resource_version(),
      "&timeoutSeconds=", absl::ToInt64Seconds(options_.watch_timeout));
  if (!options_.label_selector.empty()) {
    absl::StrAppend(&path, "&labelSelector=",
                    KubeClient::QueryEscape(options_.label_selector));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.watches;
  }
  absl::Status stream_error;
  auto on_open = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    watch_down_since_ = absl::InfiniteFuture();
    backoff_ = absl::ZeroDuration();
  };
  absl::Status s = client_->Watch(
      path,
      [&](const std::string& line) {
        Json event = Json::parse(line, nullptr, false);
        if (event.is_discarded() || !event.is_object()) return true;
        const std::string type = event.value("type", "");
        const Json& o = event.contains("object") ? event["object"] : Json();
        bool changed = false;
        const bool keep = ApplyEvent(type, o, &stream_error, &changed);
        if (changed && options_.on_change) options_.on_change();
        return keep;
      },
      &stop_, on_open);
  if (!stream_error.ok()) return stream_error;
  return s;
}

bool Informer::ApplyEvent(const std::string& type, const Json& o,
                          absl::Status* stream_error, bool* changed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (type == "ERROR") {
    const int code = o.value("code", 0);
    *stream_error = ApiError("WATCH", options_.path, code, o.dump(), "");
    return false;
  }
  const std::string rv =
      o.contains("metadata") ? o["metadata"].value("resourceVersion", "") : "";
  if (!rv.empty()) rv_ = rv;
  if (type == "BOOKMARK") {
    ++stats_.bookmarks;
    return true;
  }
  ++stats_.events;
  if (type == "DELETED") {
    objects_.erase(KeyOf(o));
    if (tombstones_.size() >= kMaxTombstones) {
      tombstones_.erase(tombstones_.begin());  // any: they only guard races
    }
    tombstones_[KeyOf(o)] = RvOf(o);
    *changed = true;
  } else if (type == "ADDED" || type == "MODIFIED") {
    objects_[KeyOf(o)] = options_.transform ? options_.transform(o) : o;
    *changed = true;
  }
  return true;
}

void Informer::Run() {
  while (!stop_) {
    bool need_list;
    {
      std::lock_guard<std::mutex> lock(mu_);
      need_list = need_list_;
    }
    if (need_list) {
      absl::Status s = List();
      if (!s.ok()) {
        SetError(absl::Status(s.code(),
                              absl::StrCat("cannot ", Describe("list"), ": ",
                                           std::string(s.message()))));
        Backoff(s);
        continue;
      }
      if (options_.on_change) options_.on_change();
    }
    absl::Status s = WatchOnce();
    if (stop_) break;
    if (s.ok()) continue;  // the server ended the watch: resume from rv_
    const bool gone = IsGone(s);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (watch_down_since_ == absl::InfiniteFuture()) {
        watch_down_since_ = absl::Now();
      }
      if (gone) {
        ++stats_.relists;
        need_list_ = true;
      }
    }
    if (gone) continue;  // relist at once
    SetError(
        absl::Status(s.code(), absl::StrCat("cannot ", Describe("watch"), ": ",
                                            std::string(s.message()))));
    Backoff(s);
  }
}

}  // namespace ebb::executors::kubernetes
