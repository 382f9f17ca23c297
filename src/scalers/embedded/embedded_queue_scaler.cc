// SPDX-License-Identifier: Apache-2.0
#include "scalers/embedded/embedded_queue_scaler.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "queue/embedded/embedded_queue.h"

namespace ebb::scalers {
namespace {

absl::StatusOr<double> Number(const std::map<std::string, std::string>& m,
                              const std::string& key, double def,
                              bool allow_zero) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return def;
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v) || !std::isfinite(v) || v < 0 ||
      (!allow_zero && v == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ebb-queue: ", key, " \"", it->second,
                     "\" must be a number ", allow_zero ? ">= 0" : "> 0"));
  }
  return v;
}

// KEDA's milli precision: truncated toward zero; negative/NaN/Inf -> 0.
double Milli(double v) {
  if (!std::isfinite(v) || v < 0) return 0;
  return std::trunc(v * 1000) / 1000;
}

class EmbeddedQueueScaler : public Scaler {
 public:
  EmbeddedQueueScaler(queue::embedded::EmbeddedQueue* q,
                      EmbeddedQueueMetadata meta)
      : q_(q), meta_(std::move(meta)) {}

  absl::StatusOr<MetricReading> GetMetricsAndActivity() override {
    EBB_ASSIGN_OR_RETURN(queue::embedded::DetailedDepth d,
                         q_->Depths(meta_.queue_name));
    MetricReading r;
    r.metric_name = meta_.metric_name;
    r.value = Milli(static_cast<double>(d.ready));
    r.active = static_cast<double>(d.ready) > meta_.activation_value;
    return r;
  }
  double Target() const override { return Milli(meta_.value); }
  std::string MetricName() const override { return meta_.metric_name; }
  std::string Describe() const override {
    return absl::StrCat("ebb-queue ", meta_.queue_name, " (embedded, ready)");
  }

 private:
  queue::embedded::EmbeddedQueue* q_;
  EmbeddedQueueMetadata meta_;
};

class EmbeddedQueueScalerFactory : public ScalerFactory {
 public:
  explicit EmbeddedQueueScalerFactory(queue::embedded::EmbeddedQueue* q)
      : q_(q) {}

  std::string Type() const override { return kEmbeddedQueueTriggerType; }
  std::vector<std::string> KnownMetadataKeys() const override {
    return {"queueName", "value", "activationValue"};
  }
  absl::Status Validate(const ScalerContext& ctx) const override {
    return ParseEmbeddedQueueMetadata(ctx).status();
  }
  absl::StatusOr<std::unique_ptr<Scaler>> Create(
      const ScalerContext& ctx) const override {
    EBB_ASSIGN_OR_RETURN(EmbeddedQueueMetadata meta,
                         ParseEmbeddedQueueMetadata(ctx));
    if (q_ == nullptr) {
      return absl::FailedPreconditionError(
          "ebb-queue: this ebb runs without the embedded queue (single-node "
          "mode only)");
    }
    return std::unique_ptr<Scaler>(
        std::make_unique<EmbeddedQueueScaler>(q_, std::move(meta)));
  }
  InFlightCounting CountsInFlight(const ScalerContext& ctx) const override {
    return InFlightCounting::kExcluded;
  }
  std::string QueueName(const ScalerContext& ctx) const override {
    if (ctx.trigger == nullptr) return "";
    auto it = ctx.trigger->metadata.find("queueName");
    return it == ctx.trigger->metadata.end() ? "" : it->second;
  }

 private:
  queue::embedded::EmbeddedQueue* q_;
};

}  // namespace

absl::StatusOr<EmbeddedQueueMetadata> ParseEmbeddedQueueMetadata(
    const ScalerContext& ctx) {
  if (ctx.trigger == nullptr) {
    return absl::InvalidArgumentError("ebb-queue: no trigger");
  }
  const auto& m = ctx.trigger->metadata;
  EmbeddedQueueMetadata meta;
  auto it = m.find("queueName");
  if (it == m.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        "ebb-queue: queueName is required (the embedded queue to watch, e.g. "
        "\"tasks\")");
  }
  meta.queue_name = it->second;
  EBB_ASSIGN_OR_RETURN(meta.value, Number(m, "value", 1, false));
  EBB_ASSIGN_OR_RETURN(meta.activation_value,
                       Number(m, "activationValue", 0, true));
  meta.metric_name =
      absl::StrCat("s", ctx.trigger_index, "-ebb-queue-", meta.queue_name);
  return meta;
}

std::unique_ptr<ScalerFactory> NewEmbeddedQueueScalerFactory(
    queue::embedded::EmbeddedQueue* q) {
  return std::make_unique<EmbeddedQueueScalerFactory>(q);
}

}  // namespace ebb::scalers
