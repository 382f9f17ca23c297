// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics.h"

#include <cmath>
#include <cstdio>

namespace ebb::metrics {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// A bucket bound as Prometheus clients write it: "0.1", "2.5", "60".
std::string FormatBound(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string LabelText(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + EscapeLabel(labels[i].second) + "\"";
  }
  return out + "}";
}

bool Matches(const Labels& labels, const Labels& match) {
  for (const auto& m : match) {
    bool found = false;
    for (const auto& l : labels) found = found || l == m;
    if (!found) return false;
  }
  return true;
}

}  // namespace

void Registry::Describe(const std::string& name, const std::string& type,
                        const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  if (f.help.empty()) {
    f.type = type;
    f.help = help;
  }
}

void Registry::Set(const std::string& name, const Labels& labels,
                   double value) {
  std::lock_guard<std::mutex> lock(mu_);
  families_[name].series[labels] = value;
}

void Registry::Add(const std::string& name, const Labels& labels,
                   double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  families_[name].series[labels] += delta;
}

double Registry::Get(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(labels);
  return s == f->second.series.end() ? 0 : s->second;
}

void Registry::Remove(const std::string& name, const Labels& match) {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return;
  for (auto it = f->second.series.begin(); it != f->second.series.end();) {
    it = Matches(it->first, match) ? f->second.series.erase(it) : std::next(it);
  }
  auto& hs = f->second.histograms;
  for (auto it = hs.begin(); it != hs.end();) {
    it = Matches(it->first, match) ? hs.erase(it) : std::next(it);
  }
}

void Registry::Observe(const std::string& name, const Labels& labels,
                       double value, const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  Family::Histogram& h = families_[name].histograms[labels];
  if (h.counts.empty()) {
    h.bounds = bounds;
    h.counts.assign(bounds.size() + 1, 0);
  }
  size_t i = 0;
  while (i < h.bounds.size() && value > h.bounds[i]) ++i;
  ++h.counts[i];
  h.sum += value;
  ++h.count;
}

uint64_t Registry::Count(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto h = f->second.histograms.find(labels);
  return h == f->second.histograms.end() ? 0 : h->second.count;
}

std::string Registry::Exposition() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, value] : f.series) {
      out += name;
      if (!labels.empty()) {
        out += "{";
        for (size_t i = 0; i < labels.size(); ++i) {
          if (i) out += ",";
          out += labels[i].first + "=\"" + EscapeLabel(labels[i].second) + "\"";
        }
        out += "}";
      }
      out += " " + FormatValue(value) + "\n";
    }
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        Labels with_le = labels;
        with_le.emplace_back("le", i < h.bounds.size()
                                       ? FormatBound(h.bounds[i])
                                       : std::string("+Inf"));
        out += name + "_bucket" + LabelText(with_le) + " " +
               FormatValue(static_cast<double>(cumulative)) + "\n";
      }
      out +=
          name + "_sum" + LabelText(labels) + " " + FormatValue(h.sum) + "\n";
      out += name + "_count" + LabelText(labels) + " " +
             FormatValue(static_cast<double>(h.count)) + "\n";
    }
  }
  return out;
}

}  // namespace ebb::metrics
