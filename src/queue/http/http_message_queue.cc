// SPDX-License-Identifier: Apache-2.0
#include "queue/http/http_message_queue.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secrets.h"
#include "common/status.h"
#include "queue/http/queue_wire.h"

namespace ebb::queue {
namespace {

constexpr absl::Duration kServerTakeCap = absl::Seconds(10);  // routes_queue.cc

std::string QueuePath(const std::string& queue, const std::string& suffix) {
  return absl::StrCat("/api/v1/queues/", queue, suffix);
}

absl::Status CheckQueueName(const std::string& queue) {
  if (queue.empty() || queue.find_first_of("/?#% ") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue name '", queue, "' is empty or has one of / ? # % or space"));
  }
  return absl::OkStatus();
}

// The server's {"error": ...} message, else the raw body (truncated).
std::string ServerMessage(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>();
  }
  return body.substr(0, 200);
}

template <typename D>
void SetTimeout(httplib::Client& c, D d) {
  c.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(d));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpMessageQueue>> HttpMessageQueue::Create(
    HttpQueueOptions options) {
  static const std::regex kUrl(R"(^https?://[^/\s?#]+/?$)");
  if (!std::regex_match(options.base_url, kUrl)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ebb URL '", MaskUrlCredentials(options.base_url),
                     "' is not of the form http://HOST:PORT"));
  }
  if (!options.base_url.empty() && options.base_url.back() == '/') {
    options.base_url.pop_back();
  }
  if (options.lease < absl::Seconds(3)) options.lease = absl::Seconds(3);
  std::unique_ptr<HttpMessageQueue> q(new HttpMessageQueue(std::move(options)));
  if (!q->client_->is_valid() || !q->renew_client_->is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ebb URL '", q->masked_url_, "' is not usable"));
  }
  q->renewer_ = std::thread([p = q.get()] { p->RenewLoop(); });
  return q;
}

HttpMessageQueue::HttpMessageQueue(HttpQueueOptions options)
    : options_(std::move(options)),
      masked_url_(MaskUrlCredentials(options_.base_url)),
      client_(std::make_unique<httplib::Client>(options_.base_url)),
      renew_client_(std::make_unique<httplib::Client>(options_.base_url)) {
  for (httplib::Client* c : {client_.get(), renew_client_.get()}) {
    c->set_connection_timeout(std::chrono::seconds(5));
    c->set_write_timeout(std::chrono::seconds(10));
    SetTimeout(*c, absl::ToChronoMilliseconds(options_.request_timeout));
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // else Nagle + delayed ACK add ~40 ms a call
    if (!options_.token.empty()) c->set_bearer_token_auth(options_.token);
  }
}

HttpMessageQueue::~HttpMessageQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

size_t HttpMessageQueue::HeldCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void HttpMessageQueue::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

bool HttpMessageQueue::interrupted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interrupted_;
}

bool HttpMessageQueue::Pause(absl::Duration d, bool interruptible) {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [&] { return stopping_ || (interruptible && interrupted_); };
  return !cv_.wait_for(lock, absl::ToChronoMilliseconds(d), done);
}

absl::StatusOr<HttpMessageQueue::Reply> HttpMessageQueue::CallRetrying(
    const std::string& method, const std::string& path, const std::string& json,
    absl::Duration read_timeout, bool interruptible) {
  bool unreachable = false;
  absl::StatusOr<Reply> r =
      Call(*client_, method, path, json, read_timeout, &unreachable);
  const absl::Duration budget = options_.retry.give_up_after;
  if (r.ok() || !unreachable || budget <= absl::ZeroDuration()) return r;
  const absl::Time began = absl::Now();
  EBB_LOG_WARN("{}; retrying for up to {}", std::string(r.status().message()),
               absl::FormatDuration(budget));
  Backoff backoff(options_.retry);
  absl::Time next_log = began + absl::Seconds(30);
  while (true) {
    const absl::Duration left = began + budget - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError(
          absl::StrCat(r.status().message(), " (gave up after ",
                       absl::FormatDuration(budget), " of retries)"));
    }
    if (!Pause(std::min(backoff.Next(), left), interruptible)) {
      return absl::CancelledError(
          absl::StrCat(method, " ", masked_url_, path, ": interrupted"));
    }
    r = Call(*client_, method, path, json, read_timeout, &unreachable);
    if (r.ok() || !unreachable) {
      EBB_LOG_INFO("ebb at {} is reachable again after {}", masked_url_,
                   absl::FormatDuration(absl::Trunc(absl::Now() - began,
                                                    absl::Milliseconds(100))));
      return r;
    }
    if (absl::Now() >= next_log) {
      EBB_LOG_WARN("ebb at {} still unreachable after {}; retrying",
                   masked_url_,
                   absl::FormatDuration(
                       absl::Trunc(absl::Now() - began, absl::Seconds(1))));
      next_log = absl::Now() + absl::Seconds(30);
    }
  }
}

absl::StatusOr<HttpMessageQueue::Reply> HttpMessageQueue::Call(
    httplib::Client& client, const std::string& method, const std::string& path,
    const std::string& json, absl::Duration read_timeout, bool* unreachable) {
  SetTimeout(client, absl::ToChronoMilliseconds(read_timeout));
  httplib::Result res =
      method == "GET" ? client.Get(path.c_str())
                      : client.Post(path.c_str(), json, "application/json");
  const std::string where = absl::StrCat(method, " ", masked_url_, path);
  if (unreachable != nullptr) *unreachable = !res;
  if (!res) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach ebb at ", masked_url_, " (", where, "): ",
        httplib::to_string(res.error()), "; is `ebb up` running there?"));
  }
  const int status = res->status;
  const std::string msg = ServerMessage(res->body);
  if (status >= 200 && status < 300) return Reply{status, res->body};
  switch (status) {
    case 401:
    case 403:
      return absl::PermissionDeniedError(
          absl::StrCat(where, ": ebb refused the token (", status,
                       "); pass the token of "
                       "that `ebb up` (its data directory's `token` file)"));
    case 404:
      return absl::NotFoundError(absl::StrCat(where, ": ", msg));
    case 409:
      return absl::FailedPreconditionError(absl::StrCat(where, ": ", msg));
    case 400:
    case 413:
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", msg));
    case 502:
    case 503:
    case 504:
      return absl::UnavailableError(absl::StrCat(where, ": ", msg));
    default:
      return absl::InternalError(
          absl::StrCat(where, ": HTTP ", status, ": ", msg));
  }
}

absl::Status HttpMessageQueue::Publish(const std::string& queue,
                                       const OutgoingMessage& msg) {
  EBB_RETURN_IF_ERROR(CheckQueueName(queue));
  nlohmann::json j = {{"message_id", msg.message_id},
                      {"headers", wire::HeadersToJson(msg.headers)}};
  wire::PutBody(j, msg.body);
  if (const int64_t ms = absl::ToInt64Milliseconds(msg.delay); ms > 0) {
    j["delay_ms"] = ms;
  }
  return CallRetrying("POST", QueuePath(queue, "/messages"), wire::Dump(j),
                      options_.request_timeout, /*interruptible=*/false)
      .status();
}

absl::StatusOr<std::optional<Delivery>> HttpMessageQueue::TakeOnce(
    const std::string& path, const std::string& queue, const std::string& json,
    absl::Duration wait) {
  // A Take interrupted while ebb is unreachable took nothing.
  absl::StatusOr<Reply> got =
      CallRetrying("POST", path, json, wait + options_.request_timeout,
                   /*interruptible=*/true);
  if (absl::IsCancelled(got.status())) return std::nullopt;
  EBB_ASSIGN_OR_RETURN(Reply reply, std::move(got));
  if (reply.status == 204) return std::nullopt;
  std::optional<Delivery> d =
      wire::DeliveryFromJson(nlohmann::json::parse(reply.body, nullptr, false));
  if (!d.has_value() || d->delivery_tag == 0) {
    return absl::InternalError(absl::StrCat(
        "ebb at ", masked_url_, " sent a malformed delivery for ", queue));
  }
  d->queue = queue;
  Hold(*d);
  return d;
}

absl::StatusOr<std::optional<Delivery>> HttpMessageQueue::Take(
    const std::string& queue, absl::Duration timeout) {
  EBB_RETURN_IF_ERROR(CheckQueueName(queue));
  const absl::Time deadline =
      absl::Now() + std::max(timeout, absl::ZeroDuration());
  // The server caps one long poll; longer waits are several polls.
  while (true) {
    const absl::Duration wait = std::clamp(
        deadline - absl::Now(), absl::ZeroDuration(), kServerTakeCap);
    nlohmann::json j = {
        {"timeout_ms", absl::ToInt64Milliseconds(wait)},
        {"lease_ms", absl::ToInt64Milliseconds(options_.lease)}};
    EBB_ASSIGN_OR_RETURN(
        std::optional<Delivery> d,
        TakeOnce(QueuePath(queue, "/take"), queue, j.dump(), wait));
    if (d.has_value() || absl::Now() >= deadline || interrupted()) return d;
  }
}

absl::StatusOr<std::optional<Delivery>> HttpMessageQueue::Get(
    const std::string& queue) {
  EBB_RETURN_IF_ERROR(CheckQueueName(queue));
  nlohmann::json j = {{"lease_ms", absl::ToInt64Milliseconds(options_.lease)}};
  return TakeOnce(QueuePath(queue, "/get"), queue, j.dump(),
                  absl::ZeroDuration());
}

absl::Status HttpMessageQueue::Ack(const Delivery& d) {
  EBB_RETURN_IF_ERROR(CheckQueueName(d.queue));
  nlohmann::json j = {{"tag", wire::TagToString(d.delivery_tag)}};
  // The lease is renewed until the ack is answered (it may be retried for a
  // while).
  absl::Status s = CallRetrying("POST", QueuePath(d.queue, "/ack"), j.dump(),
                                options_.request_timeout,
                                /*interruptible=*/false)
                       .status();
  Release(d.delivery_tag);
  return s;
}

absl::Status HttpMessageQueue::Nack(const Delivery& d, bool requeue) {
  EBB_RETURN_IF_ERROR(CheckQueueName(d.queue));
  nlohmann::json j = {{"tag", wire::TagToString(d.delivery_tag)},
                      {"requeue", requeue}};
  absl::Status s = CallRetrying("POST", QueuePath(d.queue, "/nack"), j.dump(),
                                options_.request_timeout,
                                /*interruptible=*/false)
                       .status();
  Release(d.delivery_tag);
  return s;
}

absl::StatusOr<QueueDepth> HttpMessageQueue::Depth(const std::string& queue) {
  EBB_RETURN_IF_ERROR(CheckQueueName(queue));
  EBB_ASSIGN_OR_RETURN(Reply reply, Call(*client_, "GET", QueuePath(queue, ""),
                                         "", options_.request_timeout));
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_object()) {
    return absl::InternalError(
        absl::StrCat("ebb at ", masked_url_, " sent a malformed depth"));
  }
  QueueDepth d;
  d.ready = j.value("ready", int64_t{0});
  d.consumers = j.value("consumers", int64_t{0});
  return d;
}

absl::StatusOr<std::vector<Delivery>> HttpMessageQueue::Browse(
    const std::string& queue, int max) {
  EBB_RETURN_IF_ERROR(CheckQueueName(queue));
  EBB_ASSIGN_OR_RETURN(
      Reply reply,
      Call(*client_, "GET",
           QueuePath(queue, absl::StrCat("/messages?max=", std::max(max, 0))),
           "", options_.request_timeout));
  nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  std::vector<Delivery> out;
  if (!j.is_object() || !j.contains("messages") || !j["messages"].is_array()) {
    return absl::InternalError(
        absl::StrCat("ebb at ", masked_url_, " sent a malformed message list"));
  }
  for (const nlohmann::json& m : j["messages"]) {
    std::optional<Delivery> d = wire::DeliveryFromJson(m);
    if (!d.has_value()) continue;
    d->queue = queue;
    out.push_back(std::move(*d));
  }
  return out;
}

void HttpMessageQueue::Hold(const Delivery& d) {
  std::lock_guard<std::mutex> lock(mu_);
  held_[d.delivery_tag] = d.queue;
}

void HttpMessageQueue::Release(uint64_t tag) {
  std::lock_guard<std::mutex> lock(mu_);
  held_.erase(tag);
}

void HttpMessageQueue::RenewLoop() {
  const absl::Duration period = options_.lease / 3;
  // While ebb is unreachable, renewals are tried more often (at most every
  // retry.max_delay), so a lease kept through a restart is renewed soon after.
  const absl::Duration retry_period =
      options_.retry.give_up_after > absl::ZeroDuration()
          ? std::min(period, options_.retry.max_delay)
          : period;
  bool failing = false;
  absl::Time next_log = absl::InfinitePast();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock,
                 absl::ToChronoMilliseconds(failing ? retry_period : period),
                 [this] { return stopping_; });
    if (stopping_) break;
    const std::map<std::string, std::string>::size_type n = held_.size();
    if (n == 0) continue;
    const std::map<uint64_t, std::string> held = held_;
    lock.unlock();
    std::vector<uint64_t> lost;
    bool failed = false;
    for (const auto& [tag, queue] : held) {
      nlohmann::json j = {
          {"tag", wire::TagToString(tag)},
          {"lease_ms", absl::ToInt64Milliseconds(options_.lease)}};
      absl::Status s = Call(*renew_client_, "POST", QueuePath(queue, "/extend"),
                            j.dump(), options_.request_timeout)
                           .status();
      if (absl::IsFailedPrecondition(s) || absl::IsNotFound(s)) {
        lost.push_back(tag);
      } else if (!s.ok()) {
        failed = true;
        if (absl::Now() >= next_log) {
          EBB_LOG_WARN("cannot renew a lease on {} (will retry): {}", queue,
                       s.ToString());
          next_log = absl::Now() + absl::Seconds(30);
        }
      }
    }
    if (failing && !failed) EBB_LOG_INFO("lease renewals work again");
    failing = failed;
    if (!failed) next_log = absl::InfinitePast();
    lock.lock();
    for (uint64_t tag : lost) {
      // Not lost when it was settled meanwhile (an ack racing the renewal).
      auto it = held_.find(tag);
      if (it == held_.end()) continue;
      EBB_LOG_WARN(
          "lease of a message from {} was lost (it expired; the message may "
          "be with another worker now)",
          it->second);
      held_.erase(it);
    }
  }
}

}  // namespace ebb::queue
