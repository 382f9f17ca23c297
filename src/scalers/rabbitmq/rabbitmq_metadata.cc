// SPDX-License-Identifier: Apache-2.0
//
// Metadata parsing of the rabbitmq trigger (§3.1), mirroring rabbitMQMetadata
// and its Validate/validateTrigger in kedacore/keda
// pkg/scalers/rabbitmq_scaler.go (KEDA 2.21).
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/secrets.h"
#include "common/status.h"
#include "common/strings.h"
#include "scalers/rabbitmq/rabbitmq_scaler.h"

namespace ebb::scalers {
namespace {

using Map = std::map<std::string, std::string>;

// A non-empty value of `key` in `m`, else "".
std::string Get(const Map& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// KEDA's `order=triggerMetadata;authParams;resolvedEnv` lookup.
std::string Lookup(const ScalerContext& ctx, const std::string& key,
                   bool metadata, bool auth, bool env) {
  std::string v;
  if (metadata) v = Get(ctx.trigger->metadata, key);
  if (v.empty() && auth) v = Get(ctx.auth_params, key);
  if (v.empty() && env) {
    const std::string env_name =
        Get(ctx.trigger->metadata, absl::StrCat(key, "FromEnv"));
    if (!env_name.empty()) v = Get(ctx.resolved_env, env_name);
  }
  return v;
}

absl::Status Invalid(const std::string& msg) {
  return absl::InvalidArgumentError(msg);
}

absl::Status NotSupported(const std::string& what) {
  return absl::UnimplementedError(
      absl::StrCat("rabbitmq: ", what, " is not supported yet"));
}

// Go's strconv.ParseBool.
absl::StatusOr<bool> ParseBool(const std::string& key, const std::string& s,
                               bool def) {
  if (s.empty()) return def;
  static const std::set<std::string> kTrue = {"1",    "t",    "T",
                                              "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0",     "f",     "F",
                                               "FALSE", "false", "False"};
  if (kTrue.count(s)) return true;
  if (kFalse.count(s)) return false;
  return Invalid(
      absl::StrCat("rabbitmq: ", key, " \"", s,
                   "\" is not a bool; allowed: \"true\", \"false\""));
}

absl::StatusOr<double> ParseFloat(const std::string& key,
                                  const std::string& s) {
  double v = 0;
  if (!absl::SimpleAtod(s, &v) || !std::isfinite(v)) {
    return Invalid(
        absl::StrCat("rabbitmq: ", key, " \"", s, "\" is not a number"));
  }
  return v;
}

// KEDA (v2.18+, #6997): an integer is milliseconds, else a Go duration.
absl::StatusOr<int64_t> ParseTimeoutMs(const std::string& s) {
  int64_t ms = 0;
  if (absl::SimpleAtoi(s, &ms)) {
    if (ms < 0) return Invalid("rabbitmq: timeout must not be negative");
    return ms;
  }
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || d == absl::InfiniteDuration() ||
      d == -absl::InfiniteDuration()) {
    return Invalid(absl::StrCat(
        "rabbitmq: timeout \"", s,
        "\" is neither an integer (milliseconds) nor a duration like \"5s\""));
  }
  if (d < absl::ZeroDuration()) {
    return Invalid("rabbitmq: timeout must not be negative");
  }
  return absl::ToInt64Milliseconds(d);
}

// The scheme of a URL ("amqp"), lower-cased; "" when there is none.
std::string Scheme(const std::string& url) {
  size_t p = url.find("://");
  if (p == std::string::npos) return "";
  return absl::AsciiStrToLower(url.substr(0, p));
}

// The password in "scheme://user:password@host", or "".
std::string UriPassword(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return "";
  start += 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(
      start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  if (at == std::string::npos) return "";
  size_t colon = authority.find(':');
  if (colon == std::string::npos || colon > at) return "";
  return authority.substr(colon + 1, at - colon - 1);
}

// kedautil.NormalizeString.
std::string NormalizeString(const std::string& s) {
  return absl::StrReplaceAll(
      s,
      {{"/", "-"}, {".", "-"}, {":", "-"}, {"%", "-"}, {"(", "-"}, {")", "-"}});
}

absl::Status CheckNotSupported(const ScalerContext& ctx) {
  if (absl::AsciiStrToLower(Get(ctx.auth_params, "tls")) == "enable") {
    return NotSupported("TLS client settings (authParams tls: enable)");
  }
  for (const char* key : {"ca", "cert", "key", "keyPassword"}) {
    if (!Get(ctx.auth_params, key).empty()) {
      return NotSupported(
          absl::StrCat("TLS client settings (authParams ", key, ")"));
    }
  }
  for (const char* key : {"oauthTokenURI", "scope", "clientID", "clientSecret",
                          "endpointParams", "workloadIdentityResource"}) {
    if (!Get(ctx.auth_params, key).empty()) {
      return NotSupported(
          absl::StrCat("OAuth2/workload identity (authParams ", key, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RabbitMqMetadata> Parse(const ScalerContext& ctx) {
  const Map& md = ctx.trigger->metadata;
  RabbitMqMetadata meta;
  meta.trigger_index = ctx.trigger_index;

  meta.queue_name = Get(md, "queueName");
  if (meta.queue_name.empty())
    return Invalid("rabbitmq: queueName is required");

  meta.host = Lookup(ctx, "host", true, true, true);
  if (meta.host.empty()) {
    return Invalid(
        "rabbitmq: host is required (in metadata, the TriggerAuthentication, "
        "or hostFromEnv)");
  }
  meta.username = Lookup(ctx, "username", false, true, true);
  meta.password = Lookup(ctx, "password", false, true, true);
  if (!meta.password.empty()) meta.secrets.push_back(meta.password);
  if (std::string p = UriPassword(meta.host); !p.empty()) {
    meta.secrets.push_back(p);
  }
  if (meta.username.empty() != meta.password.empty()) {
    return Invalid("rabbitmq: username and password must be given together");
  }

  EBB_RETURN_IF_ERROR(CheckNotSupported(ctx));

  // protocol: metadata, authParams; auto picks by the host's scheme.
  std::string protocol = Lookup(ctx, "protocol", true, true, false);
  if (protocol.empty()) protocol = "auto";
  const std::string scheme = Scheme(meta.host);
  if (protocol == "auto") {
    if (scheme == "amqp" || scheme == "amqps") {
      meta.protocol = RabbitMqProtocol::kAmqp;
    } else if (scheme == "http" || scheme == "https") {
      meta.protocol = RabbitMqProtocol::kHttp;
    } else {
      return Invalid(absl::StrCat(
          "rabbitmq: unknown host URL scheme \"", scheme,
          "\"; allowed: \"amqp\", \"amqps\", \"http\", \"https\""));
    }
  } else if (protocol == "amqp") {
    meta.protocol = RabbitMqProtocol::kAmqp;
  } else if (protocol == "http") {
    meta.protocol = RabbitMqProtocol::kHttp;
  } else {
    return Invalid(absl::StrCat("rabbitmq: protocol \"", protocol,
                                "\" is not allowed; allowed: \"auto\", "
                                "\"amqp\", \"http\""));
  }
  if (meta.protocol == RabbitMqProtocol::kAmqp && scheme == "amqps") {
    return NotSupported("amqps (AMQP over TLS)");
  }
  const bool http = meta.protocol == RabbitMqProtocol::kHttp;

  meta.vhost_name = Lookup(ctx, "vhostName", true, true, false);

  EBB_ASSIGN_OR_RETURN(meta.use_regex,
                       ParseBool("useRegex", Get(md, "useRegex"), false));
  EBB_ASSIGN_OR_RETURN(meta.exclude_unacknowledged,
                       ParseBool("excludeUnacknowledged",
                                 Get(md, "excludeUnacknowledged"), false));
  EBB_ASSIGN_OR_RETURN(meta.unsafe_ssl,
                       ParseBool("unsafeSsl", Get(md, "unsafeSsl"), false));
  if (std::string s = Get(md, "pageSize"); !s.empty()) {
    if (!absl::SimpleAtoi(s, &meta.page_size)) {
      return Invalid(
          absl::StrCat("rabbitmq: pageSize \"", s, "\" is not an integer"));
    }
  }
  if (meta.page_size < 1)
    return Invalid("rabbitmq: pageSize should be 1 or greater");
  if (std::string s = Get(md, "operation"); !s.empty()) {
    if (s != "sum" && s != "avg" && s != "max") {
      return Invalid(absl::StrCat("rabbitmq: operation \"", s,
                                  "\" is not allowed; allowed: \"sum\", "
                                  "\"avg\", \"max\""));
    }
    meta.operation = s;
  }
  if (std::string s = Get(md, "timeout"); !s.empty()) {
    EBB_ASSIGN_OR_RETURN(meta.timeout_ms, ParseTimeoutMs(s));
  }
  if (!http && meta.exclude_unacknowledged) {
    return Invalid(
        "rabbitmq: excludeUnacknowledged needs protocol http (the AMQP count "
        "already excludes unacknowledged messages)");
  }
  if (!http && meta.timeout_ms != 0) {
    return Invalid("rabbitmq: timeout is supported only with protocol http");
  }
  if (meta.use_regex) {
    if (!http) return Invalid("rabbitmq: useRegex needs protocol http");
    return NotSupported("useRegex");
  }

  // Mode and value (validateTrigger).
  const std::string queue_length = Get(md, "queueLength");
  const std::string mode = Get(md, "mode");
  const std::string value = Get(md, "value");
  if (queue_length.empty() && mode.empty() && value.empty()) {
    meta.mode = RabbitMqMode::kQueueLength;
    meta.value = 20;
  } else if (!queue_length.empty()) {
    if (!mode.empty() || !value.empty()) {
      return Invalid(
          "rabbitmq: queueLength is deprecated; configure only mode and value");
    }
    EBB_ASSIGN_OR_RETURN(meta.value, ParseFloat("queueLength", queue_length));
    meta.mode = RabbitMqMode::kQueueLength;
  } else {
    if (mode.empty()) {
      return Invalid(
          "rabbitmq: mode must be specified with value; allowed: "
          "\"QueueLength\", \"MessageRate\"");
    }
    if (value.empty())
      return Invalid("rabbitmq: value must be specified with mode");
    if (mode == "QueueLength") {
      meta.mode = RabbitMqMode::kQueueLength;
    } else if (mode == "MessageRate") {
      meta.mode = RabbitMqMode::kMessageRate;
    } else if (mode == "DeliverGetRate" ||
               mode == "PublishedToDeliveredRatio" ||
               mode == "ExpectedQueueConsumptionTime") {
      return NotSupported(absl::StrCat("mode ", mode));
    } else {
      return Invalid(absl::StrCat(
          "rabbitmq: mode \"", mode,
          "\" is not allowed; allowed: \"QueueLength\", \"MessageRate\""));
    }
    EBB_ASSIGN_OR_RETURN(meta.value, ParseFloat("value", value));
    if (meta.value <= 0) {
      return Invalid(absl::StrCat("rabbitmq: value \"", value,
                                  "\" must be a number greater than 0"));
    }
  }
  if (meta.mode == RabbitMqMode::kMessageRate && !http) {
    return Invalid("rabbitmq: mode MessageRate needs protocol http");
  }
  if (std::string s = Get(md, "activationValue"); !s.empty()) {
    EBB_ASSIGN_OR_RETURN(meta.activation_value,
                         ParseFloat("activationValue", s));
  }

  meta.metric_name = absl::StrCat(
      "s", ctx.trigger_index, "-",
      NormalizeString(absl::StrCat("rabbitmq-", QueryEscape(meta.queue_name))));
  if (ctx.scaled_job != nullptr) {
    meta.connection_name = absl::StrCat("keda-", ctx.scaled_job->namespace_,
                                        "-", ctx.scaled_job->name);
  }
  return meta;
}

}  // namespace

std::string QueryEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<RabbitMqMetadata> ParseRabbitMqMetadata(
    const ScalerContext& ctx) {
  if (ctx.trigger == nullptr) {
    return absl::InvalidArgumentError("rabbitmq: no trigger given");
  }
  absl::StatusOr<RabbitMqMetadata> meta = Parse(ctx);
  if (meta.ok()) return meta;
  // Defence in depth: no message above names a value from authParams or the
  // env, but mask every secret the trigger can see anyway.
  std::vector<std::string> secrets;
  for (const char* key : {"password", "host"}) {
    std::string v = Lookup(ctx, key, true, true, true);
    if (!v.empty()) secrets.push_back(v);
  }
  if (std::string p = UriPassword(Lookup(ctx, "host", true, true, true));
      !p.empty()) {
    secrets.push_back(p);
  }
  return absl::Status(
      meta.status().code(),
      MaskSecrets(std::string(meta.status().message()), secrets));
}

}  // namespace ebb::scalers
