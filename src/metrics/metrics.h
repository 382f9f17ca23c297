// SPDX-License-Identifier: Apache-2.0
//
// File: metrics/metrics.h
//
// Counters and gauges with labels, exposed in the Prometheus text format
// (0.0.4). ebb uses KEDA's metric names where KEDA has one
// (keda_scaler_metrics_value, keda_scaler_active, keda_scaled_job_errors_total,
// ...; reference keda-scaledjob.md §4.1, kedacore/keda
// pkg/metricscollector/prommetrics.go) and `ebb_` names for what KEDA lacks
// (jobs running/pending/created, decisions).
//
// Label values must never hold a secret.
//
// Threading: every method is thread-safe.
#ifndef EBB_METRICS_METRICS_H_
#define EBB_METRICS_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ebb::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Declares a metric family; later calls with the same name are no-ops. `type`
  // is "counter" or "gauge".
  void Describe(const std::string& name, const std::string& type,
                const std::string& help);

  void Set(const std::string& name, const Labels& labels, double value);
  void Add(const std::string& name, const Labels& labels, double delta = 1);
  // 0 when never set.
  double Get(const std::string& name, const Labels& labels) const;
  // Histograms: records one observation `value` in the histogram `name`
  // (Describe it with type "histogram") with upper bounds `bounds`
  // (ascending; +Inf is implied). The first observation of a series fixes
  // its bounds. Exposed as name_bucket{...,le="..."} (cumulative),
  // name_sum and name_count.
  void Observe(const std::string& name, const Labels& labels, double value,
               const std::vector<double>& bounds);
  // Observations so far in histogram series `name`/`labels` (0 when none).
  uint64_t Count(const std::string& name, const Labels& labels) const;

  // Removes every series (histograms too) of `name` whose labels include all
  // of `match`.
  void Remove(const std::string& name, const Labels& match);

  // The whole registry in Prometheus text format, families sorted by name.
  std::string Exposition() const;

 private:
  struct Family {
    std::string type = "gauge";
    std::string help;
    std::map<Labels, double> series;
    struct Histogram {
      std::vector<double> bounds;
      std::vector<uint64_t> counts;  // per bucket (not cumulative), +Inf last
      double sum = 0;
      uint64_t count = 0;
    };
    std::map<Labels, Histogram> histograms;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace ebb::metrics

#endif  // EBB_METRICS_METRICS_H_
