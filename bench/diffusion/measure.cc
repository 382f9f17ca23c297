// SPDX-License-Identifier: Apache-2.0
#include "bench/diffusion/measure.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/record_function.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ebb::bench {
namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

double Costs::MedianWall() const {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(r.wall_s);
  return Median(v);
}
double Costs::MinWall() const {
  double m = std::numeric_limits<double>::infinity();
  for (const auto& r : runs) m = std::min(m, r.wall_s);
  return m;
}
double Costs::MaxWall() const {
  double m = 0;
  for (const auto& r : runs) m = std::max(m, r.wall_s);
  return m;
}
double Costs::MedianCpu() const {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(r.cpu_s);
  return Median(v);
}
std::string Costs::Describe() const {
  return absl::StrFormat("median %.3f s (min %.3f, max %.3f, n=%d), cpu-s %.2f",
                         MedianWall(), MinWall(), MaxWall(),
                         static_cast<int>(runs.size()), MedianCpu());
}

Cost Measure(const std::function<void()>& f) {
  const double c0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  Cost c;
  c.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  c.cpu_s = CpuSeconds() - c0;
  return c;
}

Costs Repeat(int reps, const std::function<void()>& f) {
  Costs c;
  for (int i = 0; i < reps; ++i) c.runs.push_back(Measure(f));
  return c;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

double CurrentRssMb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * (sysconf(_SC_PAGESIZE) / 1048576.0);
}

RandomSource::RandomSource(uint64_t seed, double std)
    : pool_(at::randn({int64_t{1} << 22},
                      at::make_generator<at::CPUGeneratorImpl>(seed),
                      at::kFloat) *
            std) {}

absl::StatusOr<at::Tensor> RandomSource::Get(
    const std::string& name, const std::vector<int64_t>& shape) {
  at::Tensor t = at::empty(shape, at::kFloat);
  parameters_ += t.numel();
  const bool norm = shape.size() == 1 && name.find("norm") != std::string::npos;
  if (norm && name.ends_with(".weight")) return t.fill_(1.0);
  if (norm && name.ends_with(".bias")) return t.zero_();
  // Copies of a 4 M-value pool from a moving offset: drawing a billion
  // normals takes minutes on 2 cores; timings do not depend on the values.
  at::Tensor flat = t.view({-1});
  const int64_t pool = pool_.numel();
  for (int64_t done = 0; done < flat.numel();) {
    const int64_t n = std::min(flat.numel() - done, pool - offset_);
    flat.narrow(0, done, n).copy_(pool_.narrow(0, offset_, n));
    done += n;
    offset_ = (offset_ + n + 7919) % pool;
  }
  return t;
}

// ---- per-op profile --------------------------------------------------------

namespace {

struct OpContext : at::ObserverContext {
  std::chrono::steady_clock::time_point start;
  bool top = false;
};

std::mutex g_profile_mu;
std::map<std::string, std::pair<double, int64_t>> g_profile;
std::thread::id g_profile_thread;
thread_local int t_depth = 0;

std::unique_ptr<at::ObserverContext> OnStart(const at::RecordFunction&) {
  auto ctx = std::make_unique<OpContext>();
  ctx->top = std::this_thread::get_id() == g_profile_thread && t_depth == 0;
  ++t_depth;
  ctx->start = std::chrono::steady_clock::now();
  return ctx;
}

void OnEnd(const at::RecordFunction& fn, at::ObserverContext* base) {
  auto* ctx = static_cast<OpContext*>(base);
  --t_depth;
  if (!ctx->top) return;
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - ctx->start)
                  .count();
  std::lock_guard<std::mutex> lock(g_profile_mu);
  auto& row = g_profile[fn.name()];
  row.first += ms;
  row.second += 1;
}

}  // namespace

ScopedOpProfile::ScopedOpProfile() {
  {
    std::lock_guard<std::mutex> lock(g_profile_mu);
    g_profile.clear();
    g_profile_thread = std::this_thread::get_id();
  }
  handle_ = at::addGlobalCallback(at::RecordFunctionCallback(&OnStart, &OnEnd)
                                      .scopes({at::RecordScope::FUNCTION}));
}

ScopedOpProfile::~ScopedOpProfile() { at::removeCallback(handle_); }

std::vector<ScopedOpProfile::Row> ScopedOpProfile::Rows() const {
  std::lock_guard<std::mutex> lock(g_profile_mu);
  std::vector<Row> rows;
  for (const auto& [op, v] : g_profile) rows.push_back({op, v.first, v.second});
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.ms > b.ms; });
  return rows;
}

// ---- GEMM peak
// ---------------------------------------------------------------

double GemmPeakGflops(int64_t n, int reps) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor a = at::randn({n, n}, gen, at::kFloat);
  at::Tensor b = at::randn({n, n}, gen, at::kFloat);
  at::Tensor c = at::empty({n, n}, at::kFloat);
  at::mm_out(c, a, b);
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < reps; ++i) {
    best = std::min(best, Measure([&] { at::mm_out(c, a, b); }).wall_s);
  }
  return 2.0 * n * n * n / best / 1e9;
}

// ---- sd.cpp
// ------------------------------------------------------------------

absl::StatusOr<std::string> RunCommand(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("cannot run: " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("command failed (status ", rc, "): ", cmd, "\n", out));
  }
  return out;
}

namespace {

double Find(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  double v = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
       it != std::sregex_iterator(); ++it) {
    v = std::stod((*it)[1].str());  // the last one
  }
  return v;
}

}  // namespace

absl::StatusOr<SdCppResult> RunSdCpp(const std::string& sd_cli,
                                     const std::string& model,
                                     const SdCppCase& c,
                                     const std::string& work_dir) {
  SdCppResult r;
  r.log = absl::StrFormat("%s/sdcpp_%dx%d_s%d_%s_cfg%g.log", work_dir, c.width,
                          c.height, c.steps, c.sampler, c.cfg);
  std::string cmd = absl::StrFormat(
      "/usr/bin/time -v '%s' -m '%s' -p '%s' -W %d -H %d --steps %d "
      "--sampling-method %s --cfg-scale %g -t %d --seed %d --rng %s -o '%s' "
      "-v >'%s' 2>&1",
      sd_cli, model, c.prompt, c.width, c.height, c.steps, c.sampler, c.cfg,
      c.threads, c.seed, c.rng, c.out_png, r.log);
  auto ran = RunCommand(cmd);
  std::ifstream f(r.log);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string log = ss.str();
  std::replace(log.begin(), log.end(), '\r', '\n');
  if (!ran.ok()) {
    return absl::InternalError(absl::StrCat(
        "sd-cli failed, see ", r.log, ": ", ran.status().message(), "\n",
        log.substr(log.size() > 2000 ? log.size() - 2000 : 0)));
  }
  r.text_s =
      Find(log, R"(get_learned_condition completed, taking ([0-9.]+) ?s)");
  r.sampling_s = Find(log, R"(sampling completed, taking ([0-9.]+) ?s)");
  r.decode_s =
      Find(log, R"(decode_first_stage completed, taking ([0-9.]+) ?s)");
  r.generate_s = Find(log, R"(generate_image completed in ([0-9.]+) ?s)");
  r.cpu_s = Find(log, R"(User time \(seconds\): ([0-9.]+))") +
            Find(log, R"(System time \(seconds\): ([0-9.]+))");
  r.rss_mb =
      Find(log, R"(Maximum resident set size \(kbytes\): ([0-9]+))") / 1024.0;
  // "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:23.45"
  std::smatch m;
  if (std::regex_search(
          log, m,
          std::regex(
              R"(Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+))"))) {
    double s = 0;
    std::stringstream parts(m[1].str());
    std::string part;
    while (std::getline(parts, part, ':')) s = s * 60 + std::stod(part);
    r.wall_s = s;
  }
  return r;
}

double Psnr8(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double se = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    se += d * d;
  }
  if (se == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(255.0 * 255.0 / (se / a.size()));
}

}  // namespace ebb::bench
