// SPDX-License-Identifier: Apache-2.0
//
// bench_s3: upload throughput and latency of 500 KiB objects (the size of a
// 512x512 PNG) at 1 and 8 concurrent uploads, through S3ObjectStore against
// s3rver on loopback (direct, without the verifying proxy) and through the
// filesystem store, in the same run.
//
//   bench_s3 [--objects N]   (N uploads per case; default 200)
//
// Prints one line per case: objects/s, MiB/s and p50/p99/max latency.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/filesystem/filesystem_object_store.h"
#include "storage/s3/s3_object_store.h"
#include "tests/harness/harness.h"
#include "tests/s3/s3_fixture.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kObjectBytes = 500 * 1024;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p * v.size() + 0.999999);
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// Uploads `n` objects with `concurrency` threads; false on any failure.
bool RunCase(const char* name, ebb::storage::ObjectStore* store, int n,
             int concurrency, const std::string& data) {
  std::vector<double> lat(n);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const std::string run = ebb::testing::UniqueName("bench");
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < n;) {
        auto t0 = Clock::now();
        absl::Status s = store->Put(run + "/" + std::to_string(i) + ".png",
                                    data, "image/png");
        lat[i] = Seconds(Clock::now() - t0);
        if (!s.ok() && failures.fetch_add(1) == 0) {
          std::fprintf(stderr, "%s: %s\n", name, s.ToString().c_str());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  double wall = Seconds(Clock::now() - start);
  std::printf(
      "%-10s c=%d  n=%d  %7.1f obj/s  %7.1f MiB/s  p50=%6.2f ms  "
      "p99=%6.2f ms  max=%6.2f ms%s\n",
      name, concurrency, n, n / wall, n * (kObjectBytes / 1048576.0) / wall,
      Percentile(lat, 0.5) * 1e3, Percentile(lat, 0.99) * 1e3,
      *std::max_element(lat.begin(), lat.end()) * 1e3,
      failures ? "  FAILURES" : "");
  std::fflush(stdout);
  return failures == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--objects") == 0) n = std::atoi(argv[i + 1]);
  }
  std::string data(kObjectBytes, '\0');
  std::mt19937_64 rng(42);
  for (char& c : data) c = static_cast<char>(rng());

  ebb::testing::S3Peer peer;
  if (!peer.Start()) return 1;
  auto s3 = ebb::storage::S3ObjectStore::Create(peer.Options(false));
  if (!s3.ok()) return 1;
  const std::string dir = ebb::testing::MakeTempDir("ebb-bench-fs");
  auto fs = ebb::storage::FilesystemObjectStore::Open(dir);
  if (!fs.ok()) return 1;

  std::printf("500 KiB uploads, %d per case (s3rver on loopback, direct)\n", n);
  bool ok = true;
  // Warm-up: connections, s3rver's JIT, the directory.
  RunCase("warmup-s3", s3->get(), 16, 8, data);
  for (int c : {1, 8}) {
    ok &= RunCase("s3rver", s3->get(), n, c, data);
    ok &= RunCase("filesystem", fs->get(), n, c, data);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ok ? 0 : 1;
}
