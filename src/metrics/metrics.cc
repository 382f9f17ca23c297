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
  }
  return out;
}

}  // namespace ebb::metrics
