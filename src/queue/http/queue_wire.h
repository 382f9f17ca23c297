// SPDX-License-Identifier: Apache-2.0
//
// File: queue/http/queue_wire.h
//
// The JSON forms of the embedded queue's HTTP API (docs/api.md "Embedded
// queue"), shared by the server routes (http/routes_queue.cc) and the client
// (HttpMessageQueue). Header-only so the server needs no client library.
//
//  - A body that is valid UTF-8 travels as "body"; any other bytes as
//    "body_b64" (standard base64).
//  - A delivery tag is a 63-bit integer sent as a decimal string, so
//    JavaScript keeps it exact; a JSON number is accepted too.
#ifndef EBB_QUEUE_HTTP_QUEUE_WIRE_H_
#define EBB_QUEUE_HTTP_QUEUE_WIRE_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "queue/message_queue.h"

namespace ebb::queue::wire {

inline bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Sets "body" or "body_b64" on `j`.
inline void PutBody(nlohmann::json& j, const std::string& body) {
  if (IsValidUtf8(body)) {
    j["body"] = body;
  } else {
    j["body_b64"] = absl::Base64Escape(body);
  }
}

// Reads "body" or "body_b64"; nullopt when neither is a valid string.
inline std::optional<std::string> GetBody(const nlohmann::json& j) {
  auto it = j.find("body_b64");
  if (it != j.end() && it->is_string()) {
    std::string out;
    if (!absl::Base64Unescape(it->get<std::string>(), &out)) {
      return std::nullopt;
    }
    return out;
  }
  it = j.find("body");
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  return std::nullopt;
}

inline nlohmann::json HeadersToJson(
    const std::map<std::string, std::string>& headers) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : headers) j[k] = v;
  return j;
}

// Strings as they are; other scalars rendered (a number 5 -> "5"); arrays
// and objects are dropped (a header value is a scalar, and rendering a
// hostile, deeply nested value would recurse once per level).
inline std::map<std::string, std::string> HeadersFromJson(
    const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_structured()) continue;
    out[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  }
  return out;
}

inline std::string TagToString(uint64_t tag) { return std::to_string(tag); }

// 0 when missing or malformed (no valid tag is 0).
inline uint64_t TagFromJson(const nlohmann::json& j) {
  auto it = j.find("tag");
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  uint64_t tag = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &tag)) {
    return tag;
  }
  return 0;
}

inline nlohmann::json DeliveryToJson(const Delivery& d) {
  nlohmann::json j = {{"tag", TagToString(d.delivery_tag)},
                      {"queue", d.queue},
                      {"message_id", d.message_id},
                      {"headers", HeadersToJson(d.headers)},
                      {"redelivered", d.redelivered}};
  PutBody(j, d.body);
  return j;
}

inline std::optional<Delivery> DeliveryFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  std::optional<std::string> body = GetBody(j);
  if (!body.has_value()) return std::nullopt;
  Delivery d;
  d.delivery_tag = TagFromJson(j);
  d.queue = j.value("queue", "");
  d.body = std::move(*body);
  d.message_id = j.value("message_id", "");
  if (j.contains("headers")) d.headers = HeadersFromJson(j["headers"]);
  d.redelivered = j.value("redelivered", false);
  return d;
}

// Serializes with invalid UTF-8 in header values replaced (bodies never are:
// they go as body_b64).
inline std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ebb::queue::wire

#endif  // EBB_QUEUE_HTTP_QUEUE_WIRE_H_
