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

// Parses and checks every key, appending each problem to `errors` (so that
// `ebb validate` reports them all in one pass); the metadata is usable only
// when no error was added.
RabbitMqMetadata Parse(const ScalerContext& ctx,
                       std::vector<absl::Status>* errors) {
  const Map& md = ctx.trigger->metadata;
  RabbitMqMetadata meta;
  meta.trigger_index = ctx.trigger_index;
  auto fail = [errors](absl::Status s) { errors->push_back(std::move(s)); };
  // The value of a parse, or `def` after recording its error.
  auto take = [&fail](auto parsed, auto def) {
    if (parsed.ok()) return *parsed;
    fail(parsed.status());
    return def;
  };

  meta.queue_name = Get(md, "queueName");
  if (meta.queue_name.empty()) fail(Invalid("rabbitmq: queueName is required"));

  meta.host = Lookup(ctx, "host", true, true, true);
  // With an unresolved TriggerAuthentication (reported on its own), the host
  // may well come from it: neither require it nor read its scheme.
  const bool host_known = !meta.host.empty() || !ctx.auth_unresolved;
  if (meta.host.empty() && host_known) {
    fail(Invalid(
        "rabbitmq: host is required (in metadata, the TriggerAuthentication, "
        "or hostFromEnv)"));
  }
  meta.username = Lookup(ctx, "username", false, true, true);
  meta.password = Lookup(ctx, "password", false, true, true);
  if (!meta.password.empty()) meta.secrets.push_back(meta.password);
  if (std::string p = UriPassword(meta.host); !p.empty()) {
    meta.secrets.push_back(p);
  }
  if (meta.username.empty() != meta.password.empty() && !ctx.auth_unresolved) {
    fail(Invalid("rabbitmq: username and password must be given together"));
  }

  if (absl::Status s = CheckNotSupported(ctx); !s.ok()) fail(s);

  // protocol: metadata, authParams; auto picks by the host's scheme.
  std::string protocol = Lookup(ctx, "protocol", true, true, false);
  if (protocol.empty()) protocol = "auto";
  const std::string scheme = Scheme(meta.host);
  bool protocol_known = true;
  if (protocol == "auto") {
    if (scheme == "amqp" || scheme == "amqps") {
      meta.protocol = RabbitMqProtocol::kAmqp;
    } else if (scheme == "http" || scheme == "https") {
      meta.protocol = RabbitMqProtocol::kHttp;
    } else {
      protocol_known = false;
      if (!meta.host.empty()) {
        fail(Invalid(absl::StrCat(
            "rabbitmq: unknown host URL scheme \"", scheme,
            "\"; allowed: \"amqp\", \"amqps\", \"http\", \"https\"")));
      }
    }
  } else if (protocol == "amqp") {
    meta.protocol = RabbitMqProtocol::kAmqp;
  } else if (protocol == "http") {
    meta.protocol = RabbitMqProtocol::kHttp;
  } else {
    protocol_known = false;
    fail(Invalid(absl::StrCat("rabbitmq: protocol \"", protocol,
                              "\" is not allowed; allowed: \"auto\", "
                              "\"amqp\", \"http\"")));
  }
  if (meta.protocol == RabbitMqProtocol::kAmqp && scheme == "amqps") {
    fail(NotSupported("amqps (AMQP over TLS)"));
  }
  const bool http = meta.protocol == RabbitMqProtocol::kHttp;
  const bool amqp = protocol_known && !http;

  meta.vhost_name = Lookup(ctx, "vhostName", true, true, false);

  meta.use_regex =
      take(ParseBool("useRegex", Get(md, "useRegex"), false), false);
  meta.exclude_unacknowledged =
      take(ParseBool("excludeUnacknowledged", Get(md, "excludeUnacknowledged"),
                     false),
           false);
  meta.unsafe_ssl =
      take(ParseBool("unsafeSsl", Get(md, "unsafeSsl"), false), false);
  if (std::string s = Get(md, "pageSize"); !s.empty()) {
    if (!absl::SimpleAtoi(s, &meta.page_size)) {
      fail(Invalid(
          absl::StrCat("rabbitmq: pageSize \"", s, "\" is not an integer")));
    } else if (meta.page_size < 1) {
      fail(Invalid("rabbitmq: pageSize should be 1 or greater"));
    }
  }
  if (std::string s = Get(md, "operation"); !s.empty()) {
    if (s != "sum" && s != "avg" && s != "max") {
      fail(Invalid(absl::StrCat("rabbitmq: operation \"", s,
                                "\" is not allowed; allowed: \"sum\", "
                                "\"avg\", \"max\"")));
    }
    meta.operation = s;
  }
  if (std::string s = Get(md, "timeout"); !s.empty()) {
    meta.timeout_ms = take(ParseTimeoutMs(s), int64_t{0});
  }
  if (amqp && meta.exclude_unacknowledged) {
    fail(Invalid(
        "rabbitmq: excludeUnacknowledged needs protocol http (the AMQP count "
        "already excludes unacknowledged messages)"));
  }
  if (amqp && meta.timeout_ms != 0) {
    fail(Invalid("rabbitmq: timeout is supported only with protocol http"));
  }
  if (meta.use_regex) {
    fail(amqp ? Invalid("rabbitmq: useRegex needs protocol http")
              : NotSupported("useRegex"));
  }

  // Mode and value (validateTrigger). A bad mode does not hide a bad value.
  const std::string queue_length = Get(md, "queueLength");
  const std::string mode = Get(md, "mode");
  const std::string value = Get(md, "value");
  if (queue_length.empty() && mode.empty() && value.empty()) {
    meta.mode = RabbitMqMode::kQueueLength;
    meta.value = 20;
  } else if (!queue_length.empty()) {
    if (!mode.empty() || !value.empty()) {
      fail(Invalid(
          "rabbitmq: queueLength is deprecated; configure only mode and "
          "value"));
    }
    meta.value = take(ParseFloat("queueLength", queue_length), 0.0);
    meta.mode = RabbitMqMode::kQueueLength;
  } else {
    if (mode.empty()) {
      fail(
          Invalid("rabbitmq: mode must be specified with value; allowed: "
                  "\"QueueLength\", \"MessageRate\""));
    } else if (mode == "QueueLength") {
      meta.mode = RabbitMqMode::kQueueLength;
    } else if (mode == "MessageRate") {
      meta.mode = RabbitMqMode::kMessageRate;
    } else if (mode == "DeliverGetRate" ||
               mode == "PublishedToDeliveredRatio" ||
               mode == "ExpectedQueueConsumptionTime") {
      fail(NotSupported(absl::StrCat("mode ", mode)));
    } else {
      std::string msg = absl::StrCat(
          "rabbitmq: mode \"", mode,
          "\" is not allowed; allowed: \"QueueLength\", \"MessageRate\"");
      if (auto near = NearestMatch(mode, {"QueueLength", "MessageRate"})) {
        absl::StrAppend(&msg, " (did you mean \"", *near, "\"?)");
      }
      fail(Invalid(msg));
    }
    if (value.empty()) {
      fail(Invalid("rabbitmq: value must be specified with mode"));
    } else {
      absl::StatusOr<double> v = ParseFloat("value", value);
      if (!v.ok()) {
        fail(v.status());
      } else if (*v <= 0) {
        fail(Invalid(absl::StrCat("rabbitmq: value \"", value,
                                  "\" must be a number greater than 0")));
      } else {
        meta.value = *v;
      }
    }
  }
  if (meta.mode == RabbitMqMode::kMessageRate && amqp) {
    fail(Invalid("rabbitmq: mode MessageRate needs protocol http"));
  }
  if (std::string s = Get(md, "activationValue"); !s.empty()) {
    meta.activation_value = take(ParseFloat("activationValue", s), 0.0);
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

// Masks every secret the trigger can see in each error. Defence in depth: no
// message above names a value from authParams or the env.
std::vector<absl::Status> Masked(const ScalerContext& ctx,
                                 std::vector<absl::Status> errors) {
  std::vector<std::string> secrets;
  for (const char* key : {"password", "host"}) {
    std::string v = Lookup(ctx, key, true, true, true);
    if (!v.empty()) secrets.push_back(v);
  }
  if (std::string p = UriPassword(Lookup(ctx, "host", true, true, true));
      !p.empty()) {
    secrets.push_back(p);
  }
  for (absl::Status& s : errors) {
    s = absl::Status(s.code(), MaskSecrets(std::string(s.message()), secrets));
  }
  return errors;
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
  std::vector<absl::Status> errors = ValidateRabbitMqMetadata(ctx);
  if (!errors.empty()) return errors.front();
  std::vector<absl::Status> none;
  return Parse(ctx, &none);
}

std::vector<absl::Status> ValidateRabbitMqMetadata(const ScalerContext& ctx) {
  if (ctx.trigger == nullptr) {
    return {absl::InvalidArgumentError("rabbitmq: no trigger given")};
  }
  std::vector<absl::Status> errors;
  Parse(ctx, &errors);
  return Masked(ctx, std::move(errors));
}

}  // namespace ebb::scalers
