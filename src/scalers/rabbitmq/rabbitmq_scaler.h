// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/rabbitmq/rabbitmq_scaler.h
//
// The `rabbitmq` trigger (reference keda-scaledjob.md §3; kedacore/keda
// pkg/scalers/rabbitmq_scaler.go, KEDA 2.21). Reads one queue's message count
// (or publish rate) over AMQP 0-9-1 (passive queue.declare: ready messages
// only) or the management HTTP API (`messages`, or `messages_ready` with
// excludeUnacknowledged).
//
// Supported: protocol auto/amqp/http, modes QueueLength and MessageRate (and
// the deprecated `queueLength`), vhostName, username/password overrides,
// hostFromEnv/usernameFromEnv/passwordFromEnv, excludeUnacknowledged, timeout,
// unsafeSsl (https), pageSize. Recognised but not built yet (Unimplemented,
// "not supported yet"): modes DeliverGetRate, PublishedToDeliveredRatio and
// ExpectedQueueConsumptionTime, useRegex, TLS client settings (tls/ca/cert/key,
// amqps), OAuth2/workload identity.
//
// Secrets: every Status message and Describe() is masked (common/secrets.h).
#ifndef EBB_SCALERS_RABBITMQ_RABBITMQ_SCALER_H_
#define EBB_SCALERS_RABBITMQ_RABBITMQ_SCALER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scalers/scaler.h"

namespace ebb::scalers {

enum class RabbitMqProtocol { kAmqp, kHttp };
enum class RabbitMqMode { kQueueLength, kMessageRate };

// The trigger's metadata after KEDA's resolution order and defaults.
struct RabbitMqMetadata {
  std::string queue_name;
  // The host URL as resolved (metadata -> authParams -> hostFromEnv); may hold
  // credentials. Never print it unmasked.
  std::string host;
  RabbitMqProtocol protocol = RabbitMqProtocol::kAmqp;
  RabbitMqMode mode = RabbitMqMode::kQueueLength;
  double value = 20;            // target per job; KEDA's default 20
  double activation_value = 0;  // active <=> metric > activation_value
  std::string vhost_name;       // overrides the host's vhost when non-empty
  std::string username;         // overrides the URI user when non-empty
  std::string password;         // set together with username
  bool exclude_unacknowledged = false;  // http only: messages_ready
  int64_t timeout_ms = 0;               // http only; 0 = default (3000 ms)
  bool unsafe_ssl = false;
  bool use_regex = false;  // accepted only as false (not supported yet)
  int64_t page_size = 100;
  std::string operation = "sum";  // used with useRegex (not supported yet)
  int trigger_index = 0;
  // "s<index>-rabbitmq-<normalized query-escaped queue>".
  std::string metric_name;
  // "keda-<namespace>-<scaledjob>", the AMQP connection_name property.
  std::string connection_name;
  // Every secret value seen (password, URI password) for MaskSecrets.
  std::vector<std::string> secrets;
};

// Parses and checks the trigger without I/O (§3.1). InvalidArgument names the
// key and the allowed values; Unimplemented for features not built yet.
// Messages are masked.
absl::StatusOr<RabbitMqMetadata> ParseRabbitMqMetadata(
    const ScalerContext& ctx);

// Every problem of the trigger at once, in key order, masked (empty when it
// parses); for `ebb validate`. ParseRabbitMqMetadata fails with the first.
std::vector<absl::Status> ValidateRabbitMqMetadata(const ScalerContext& ctx);

// Go's url.QueryEscape: unreserved [A-Za-z0-9-_.~] kept, ' ' -> '+', the rest
// %XX (upper-case hex).
std::string QueryEscape(const std::string& s);

// The management API request for `meta`, split so tests can check each part.
struct RabbitMqHttpRequest {
  std::string url;  // no credentials: {scheme}://{host}{subpath}/api/queues/..
  std::string username;  // basic auth (URI userinfo or the override)
  std::string password;
};

// §3.2 HTTP steps 1-5: last path segment of the host URL is the vhost; the
// segments before it are a subpath kept before /api; vhostName (query-escaped)
// replaces it; empty, "/" or "%2F" becomes %2F. InvalidArgument for a host
// that is not an http(s) URL.
absl::StatusOr<RabbitMqHttpRequest> BuildManagementRequest(
    const RabbitMqMetadata& meta);

// Reads the count (and publish rate) from a management API queue JSON body.
// Absent fields count 0 (the broker omits them until its first stats
// emission). InvalidArgument if the body is not a JSON object.
struct RabbitMqQueueStats {
  int64_t messages = 0;     // `messages`, or `messages_ready`
  double publish_rate = 0;  // message_stats.publish_details.rate
};
absl::StatusOr<RabbitMqQueueStats> ParseQueueInfoJson(
    const std::string& body, bool exclude_unacknowledged);

// KEDA's GenerateMetricInMili: milli precision, truncated toward zero;
// negative, NaN and Inf become 0.
double MilliPrecision(double v);

// §3.3 metric and activity for one reading.
MetricReading MakeReading(const RabbitMqMetadata& meta,
                          const RabbitMqQueueStats& stats);

// The `rabbitmq` factory. Create() opens the AMQP connection (one long-lived
// connection and channel per scaler) or checks nothing for http.
std::unique_ptr<ScalerFactory> NewRabbitMqScalerFactory();

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_RABBITMQ_RABBITMQ_SCALER_H_
