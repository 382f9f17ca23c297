// SPDX-License-Identifier: Apache-2.0
#include "queue/rabbitmq/amqp_util.h"

#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "queue/message_queue.h"

namespace ebb::queue::amqp {

absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url) {
  if (url.rfind("amqps://", 0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("amqps:// is not supported: ", MaskUrlCredentials(url)));
  }
  std::vector<char> buf(url.begin(), url.end());
  buf.push_back('\0');
  struct amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid AMQP URL '", MaskUrlCredentials(url),
                     "' (want amqp://user:pass@host:port/vhost)"));
  }
  ParsedUrl out;
  out.host = info.host;
  out.port = info.port;
  out.user = info.user;
  out.password = info.password;
  out.vhost = info.vhost == nullptr ? "" : info.vhost;
  if (out.vhost.empty()) out.vhost = "/";
  return out;
}

OutgoingTable::OutgoingTable(
    const std::map<std::string, std::string>& headers) {
  // Reserve so that c_str() pointers stay valid while appending.
  strings_.reserve(headers.size() * 2);
  entries_.reserve(headers.size());
  for (const auto& [key, value] : headers) {
    amqp_table_entry_t e;
    std::memset(&e, 0, sizeof(e));
    strings_.push_back(key);
    e.key = amqp_cstring_bytes(strings_.back().c_str());
    int64_t number = 0;
    if ((key == kHeaderEnqueuedAtMs || key == kHeaderAttempt ||
         key == "x-message-ttl" || key == "x-expires") &&
        absl::SimpleAtoi(value, &number)) {
      e.value.kind = AMQP_FIELD_KIND_I64;
      e.value.value.i64 = number;
    } else {
      strings_.push_back(value);
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes.len = strings_.back().size();
      e.value.value.bytes.bytes = strings_.back().data();
    }
    entries_.push_back(e);
  }
}

amqp_table_t OutgoingTable::table() {
  amqp_table_t t;
  t.num_entries = static_cast<int>(entries_.size());
  t.entries = entries_.empty() ? nullptr : entries_.data();
  return t;
}

std::string ToString(amqp_bytes_t bytes) {
  if (bytes.bytes == nullptr || bytes.len == 0) return "";
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

std::map<std::string, std::string> RenderTable(const amqp_table_t& table) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& e = table.entries[i];
    const amqp_field_value_t& v = e.value;
    std::string s;
    switch (v.kind) {
      case AMQP_FIELD_KIND_UTF8:
      case AMQP_FIELD_KIND_BYTES:
        s = ToString(v.value.bytes);
        break;
      case AMQP_FIELD_KIND_BOOLEAN:
        s = v.value.boolean ? "true" : "false";
        break;
      case AMQP_FIELD_KIND_I8:
        s = absl::StrCat(v.value.i8);
        break;
      case AMQP_FIELD_KIND_U8:
        s = absl::StrCat(v.value.u8);
        break;
      case AMQP_FIELD_KIND_I16:
        s = absl::StrCat(v.value.i16);
        break;
      case AMQP_FIELD_KIND_U16:
        s = absl::StrCat(v.value.u16);
        break;
      case AMQP_FIELD_KIND_I32:
        s = absl::StrCat(v.value.i32);
        break;
      case AMQP_FIELD_KIND_U32:
        s = absl::StrCat(v.value.u32);
        break;
      case AMQP_FIELD_KIND_I64:
        s = absl::StrCat(v.value.i64);
        break;
      case AMQP_FIELD_KIND_U64:
      case AMQP_FIELD_KIND_TIMESTAMP:
        s = absl::StrCat(v.value.u64);
        break;
      case AMQP_FIELD_KIND_F32:
        s = absl::StrCat(v.value.f32);
        break;
      case AMQP_FIELD_KIND_F64:
        s = absl::StrCat(v.value.f64);
        break;
      default:
        continue;  // tables, arrays, decimals, void
    }
    out[ToString(e.key)] = std::move(s);
  }
  return out;
}

struct timeval TimevalFor(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  struct timeval tv;
  const int64_t us = absl::ToInt64Microseconds(d);
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}

}  // namespace ebb::queue::amqp
