// SPDX-License-Identifier: Apache-2.0
//
// File: scalers/testing/fake_scaler.h
//
// A reusable fake trigger type for tests: type "q", metadata `queueName`, whose
// metric is whatever the test stores in a shared atomic (messages "in the
// queue"). Active when the value is above 0; target 1. Thread-safe.
#ifndef EBB_SCALERS_TESTING_FAKE_SCALER_H_
#define EBB_SCALERS_TESTING_FAKE_SCALER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "scalers/scaler.h"

namespace ebb::scalers {

class FakeQueueScalerFactory : public ScalerFactory {
 public:
  // `queue_length` is read at every poll; it must outlive every scaler made.
  explicit FakeQueueScalerFactory(const std::atomic<double>* queue_length)
      : queue_length_(queue_length) {}

  std::string Type() const override { return "q"; }
  std::vector<std::string> KnownMetadataKeys() const override {
    return {"queueName"};
  }
  absl::Status Validate(const ScalerContext&) const override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Scaler>> Create(
      const ScalerContext&) const override {
    return std::unique_ptr<Scaler>(new FakeQueueScaler(queue_length_));
  }
  std::string QueueName(const ScalerContext& ctx) const override {
    return ctx.trigger->metadata.at("queueName");
  }

 private:
  class FakeQueueScaler : public Scaler {
   public:
    explicit FakeQueueScaler(const std::atomic<double>* v) : v_(v) {}
    absl::StatusOr<MetricReading> GetMetricsAndActivity() override {
      const double v = v_->load();
      return MetricReading{"s0-q-tasks", v, v > 0};
    }
    double Target() const override { return 1; }
    std::string MetricName() const override { return "s0-q-tasks"; }
    std::string Describe() const override { return "fake queue"; }

   private:
    const std::atomic<double>* v_;
  };
  const std::atomic<double>* queue_length_;
};

}  // namespace ebb::scalers

#endif  // EBB_SCALERS_TESTING_FAKE_SCALER_H_
