// SPDX-License-Identifier: Apache-2.0
#include "common/ids.h"

#include <mutex>
#include <random>

#include "absl/strings/str_format.h"

namespace ebb {
namespace {

std::mt19937_64& Rng(std::unique_lock<std::mutex>& lock) {
  static std::mutex mu;
  static std::mt19937_64* rng = new std::mt19937_64(std::random_device{}());
  lock = std::unique_lock<std::mutex>(mu);
  return *rng;
}

}  // namespace

std::string NewUuid() {
  std::unique_lock<std::mutex> lock;
  auto& rng = Rng(lock);
  uint64_t a = rng(), b = rng();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", a >> 32,
                         (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48,
                         b & 0xFFFFFFFFFFFFULL);
}

std::string RandomSuffix(int n) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::unique_lock<std::mutex> lock;
  auto& rng = Rng(lock);
  std::string out;
  for (int i = 0; i < n; ++i)
    out.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
  return out;
}

uint64_t StableHash(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace ebb
