// SPDX-License-Identifier: Apache-2.0
//
// The rabbitmq Scaler and its factory (§3.3), mirroring GetMetricsAndActivity
// in kedacore/keda pkg/scalers/rabbitmq_scaler.go and GenerateMetricInMili in
// pkg/scalers/scaler.go (KEDA 2.21).
#include "scalers/rabbitmq/rabbitmq_scaler.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/secrets.h"
#include "common/status.h"
#include "scalers/rabbitmq/rabbitmq_clients.h"

namespace ebb::scalers {
namespace {

const char* ModeName(RabbitMqMode mode) {
  return mode == RabbitMqMode::kMessageRate ? "MessageRate" : "QueueLength";
}

class RabbitMqScaler : public Scaler {
 public:
  RabbitMqScaler(RabbitMqMetadata meta, std::unique_ptr<AmqpQueueClient> amqp,
                 RabbitMqHttpRequest http)
      : meta_(std::move(meta)),
        amqp_(std::move(amqp)),
        http_(std::move(http)) {}

  absl::StatusOr<MetricReading> GetMetricsAndActivity() override {
    RabbitMqQueueStats stats;
    if (amqp_ != nullptr) {
      EBB_ASSIGN_OR_RETURN(stats.messages, amqp_->ReadyCount(meta_.queue_name));
    } else {
      EBB_ASSIGN_OR_RETURN(std::string body, ManagementGet(meta_, http_));
      EBB_ASSIGN_OR_RETURN(
          stats, ParseQueueInfoJson(body, meta_.exclude_unacknowledged));
    }
    return MakeReading(meta_, stats);
  }

  double Target() const override { return MilliPrecision(meta_.value); }
  std::string MetricName() const override { return meta_.metric_name; }

  std::string Describe() const override {
    return absl::StrCat(
        "rabbitmq ", MaskSecrets(meta_.host, meta_.secrets), " queue ",
        meta_.queue_name, " (", ModeName(meta_.mode), ", ",
        amqp_ != nullptr ? "amqp" : "http",
        meta_.exclude_unacknowledged ? ", excludeUnacknowledged" : "", ")");
  }

 private:
  RabbitMqMetadata meta_;
  std::unique_ptr<AmqpQueueClient> amqp_;  // null for http
  RabbitMqHttpRequest http_;
};

class RabbitMqScalerFactory : public ScalerFactory {
 public:
  std::string Type() const override { return "rabbitmq"; }

  std::vector<std::string> KnownMetadataKeys() const override {
    return {"queueName",
            "host",
            "hostFromEnv",
            "protocol",
            "mode",
            "value",
            "activationValue",
            "queueLength",
            "vhostName",
            "useRegex",
            "pageSize",
            "operation",
            "excludeUnacknowledged",
            "timeout",
            "unsafeSsl",
            "usernameFromEnv",
            "passwordFromEnv"};
  }

  absl::Status Validate(const ScalerContext& ctx) const override {
    std::vector<absl::Status> errors = ValidateAll(ctx);
    return errors.empty() ? absl::OkStatus() : errors.front();
  }

  std::vector<absl::Status> ValidateAll(
      const ScalerContext& ctx) const override {
    std::vector<absl::Status> errors = ValidateRabbitMqMetadata(ctx);
    if (!errors.empty()) return errors;
    absl::StatusOr<RabbitMqMetadata> meta = ParseRabbitMqMetadata(ctx);
    if (!meta.ok()) return {meta.status()};
    if (meta->protocol == RabbitMqProtocol::kHttp) {
      absl::Status s = BuildManagementRequest(*meta).status();
      if (!s.ok()) errors.push_back(s);
    }
    return errors;
  }

  absl::StatusOr<std::unique_ptr<Scaler>> Create(
      const ScalerContext& ctx) const override {
    EBB_ASSIGN_OR_RETURN(RabbitMqMetadata meta, ParseRabbitMqMetadata(ctx));
    if (meta.protocol == RabbitMqProtocol::kAmqp) {
      EBB_ASSIGN_OR_RETURN(std::unique_ptr<AmqpQueueClient> client,
                           AmqpQueueClient::Connect(meta));
      return std::unique_ptr<Scaler>(std::make_unique<RabbitMqScaler>(
          std::move(meta), std::move(client), RabbitMqHttpRequest{}));
    }
    EBB_ASSIGN_OR_RETURN(RabbitMqHttpRequest request,
                         BuildManagementRequest(meta));
    return std::unique_ptr<Scaler>(std::make_unique<RabbitMqScaler>(
        std::move(meta), nullptr, std::move(request)));
  }

  InFlightCounting CountsInFlight(const ScalerContext& ctx) const override {
    absl::StatusOr<RabbitMqMetadata> meta = ParseRabbitMqMetadata(ctx);
    if (!meta.ok() || meta->mode != RabbitMqMode::kQueueLength) {
      return InFlightCounting::kUnknown;
    }
    if (meta->protocol == RabbitMqProtocol::kAmqp) {
      return InFlightCounting::kExcluded;  // declare-ok counts ready only
    }
    return meta->exclude_unacknowledged ? InFlightCounting::kExcluded
                                        : InFlightCounting::kIncluded;
  }

  std::string QueueName(const ScalerContext& ctx) const override {
    if (ctx.trigger == nullptr) return "";
    auto it = ctx.trigger->metadata.find("queueName");
    return it == ctx.trigger->metadata.end() ? "" : it->second;
  }
};

}  // namespace

double MilliPrecision(double v) {
  if (!std::isfinite(v) || v < 0) return 0;
  return std::trunc(v * 1000) / 1000;
}

MetricReading MakeReading(const RabbitMqMetadata& meta,
                          const RabbitMqQueueStats& stats) {
  MetricReading r;
  r.metric_name = meta.metric_name;
  const double messages = static_cast<double>(stats.messages);
  if (meta.mode == RabbitMqMode::kMessageRate) {
    r.value = MilliPrecision(stats.publish_rate);
    r.active = stats.publish_rate > meta.activation_value ||
               messages > meta.activation_value;
  } else {
    r.value = MilliPrecision(messages);
    r.active = messages > meta.activation_value;
  }
  return r;
}

std::unique_ptr<ScalerFactory> NewRabbitMqScalerFactory() {
  return std::make_unique<RabbitMqScalerFactory>();
}

}  // namespace ebb::scalers
