// SPDX-License-Identifier: Apache-2.0
//
// Building blocks against their definitions, computed element by element in
// plain C++ here.
#include "inference/diffusion/nets/layers.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ebb::inference::diffusion {
namespace {

at::Tensor Random(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen, at::kFloat);
}

void ExpectAllNear(const at::Tensor& got, const std::vector<double>& want,
                   double tol) {
  at::Tensor g = got.contiguous().reshape({-1});
  ASSERT_EQ(g.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(g[i].item<float>(), want[i], tol) << "element " << i;
  }
}

TEST(LayersTest, GroupNormMatchesItsDefinition) {
  at::Tensor x = Random({2, 4, 3, 3}, 1);
  GroupNorm n;
  n.groups = 2;
  n.eps = 1e-6;
  n.weight = at::tensor({1.0f, 2.0f, -1.0f, 0.5f});
  n.bias = at::tensor({0.0f, 0.1f, 0.2f, -0.3f});
  std::vector<double> want;
  auto xa = x.accessor<float, 4>();
  for (int b = 0; b < 2; ++b) {
    for (int c = 0; c < 4; ++c) {
      int g0 = (c / 2) * 2;
      double sum = 0, sq = 0;
      for (int cc = g0; cc < g0 + 2; ++cc)
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) sum += xa[b][cc][i][j];
      double mean = sum / 18;
      for (int cc = g0; cc < g0 + 2; ++cc)
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) sq += std::pow(xa[b][cc][i][j] - mean, 2);
      double inv = 1 / std::sqrt(sq / 18 + 1e-6);
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
          want.push_back((xa[b][c][i][j] - mean) * inv *
                             n.weight[c].item<float>() +
                         n.bias[c].item<float>());
    }
  }
  ExpectAllNear(n(x), want, 1e-4);
}

// softmax(q k^T / sqrt(d)) v per head, by loops.
std::vector<double> NaiveAttention(const at::Tensor& q, const at::Tensor& k,
                                   const at::Tensor& v, int heads,
                                   bool causal) {
  const int b = q.size(0), n = q.size(1), m = k.size(1);
  const int d = q.size(2) / heads;
  auto qa = q.accessor<float, 3>(), ka = k.accessor<float, 3>(),
       va = v.accessor<float, 3>();
  std::vector<double> out(b * n * heads * d);
  for (int bi = 0; bi < b; ++bi)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < n; ++i) {
        std::vector<double> s(m);
        double mx = -1e300;
        for (int j = 0; j < m; ++j) {
          double dot = 0;
          for (int e = 0; e < d; ++e)
            dot += qa[bi][i][h * d + e] * ka[bi][j][h * d + e];
          s[j] = (causal && j > i) ? -1e300 : dot / std::sqrt(double(d));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (int j = 0; j < m; ++j)
          z += (s[j] = (s[j] <= -1e299) ? 0 : std::exp(s[j] - mx));
        for (int e = 0; e < d; ++e) {
          double acc = 0;
          for (int j = 0; j < m; ++j) acc += s[j] / z * va[bi][j][h * d + e];
          out[(bi * n + i) * heads * d + h * d + e] = acc;
        }
      }
  return out;
}

TEST(LayersTest, ChunkedMultiHeadAttentionMatchesItsDefinition) {
  at::Tensor q = Random({2, 5, 6}, 2), k = Random({2, 7, 6}, 3),
             v = Random({2, 7, 6}, 4);
  // Chunks of 2 query rows: 3 chunks, the last partial.
  ExpectAllNear(MultiHeadAttention(q, k, v, 3, false, 2),
                NaiveAttention(q, k, v, 3, false), 1e-4);
  ExpectAllNear(MultiHeadAttention(q, k, v, 3, false, 1024),
                NaiveAttention(q, k, v, 3, false), 1e-4);
  at::Tensor ks = Random({2, 5, 6}, 5), vs = Random({2, 5, 6}, 6);
  ExpectAllNear(MultiHeadAttention(q, ks, vs, 2, true, 2),
                NaiveAttention(q, ks, vs, 2, true), 1e-4);
}

TEST(LayersTest, TimestepEmbeddingMatchesDiffusersDefinition) {
  at::Tensor t = at::tensor({0.0f, 999.0f});
  at::Tensor e = TimestepEmbedding(t, 8, /*flip_sin_to_cos=*/true, 0);
  ASSERT_EQ(e.sizes(), (std::vector<int64_t>{2, 8}));
  std::vector<double> want;
  for (double tv : {0.0, 999.0}) {
    std::vector<double> cos_part, sin_part;
    for (int i = 0; i < 4; ++i) {
      double f = std::exp(-std::log(10000.0) * i / 4.0);
      cos_part.push_back(std::cos(tv * f));
      sin_part.push_back(std::sin(tv * f));
    }
    want.insert(want.end(), cos_part.begin(), cos_part.end());
    want.insert(want.end(), sin_part.begin(), sin_part.end());
  }
  ExpectAllNear(e, want, 2e-3);  // float32 argument of up to 999 rad
  at::Tensor unflipped = TimestepEmbedding(t, 8, false, 1);
  double f1 = std::exp(-std::log(10000.0) * 1 / 3.0);  // shift 1
  EXPECT_NEAR(unflipped[1][1].item<float>(), std::sin(999.0 * f1), 2e-3);
}

TEST(LayersTest, GegluAndQuickGelu) {
  at::Tensor x = at::tensor({0.5f, -1.0f, 2.0f, -0.7f}).reshape({1, 4});
  std::vector<double> want;
  for (int i = 0; i < 2; ++i) {
    double h = x[0][i].item<float>(), g = x[0][i + 2].item<float>();
    want.push_back(h * 0.5 * g * (1 + std::erf(g / std::sqrt(2.0))));
  }
  ExpectAllNear(Geglu(x), want, 1e-6);
  std::vector<double> quick;
  for (int i = 0; i < 4; ++i) {
    double v = x[0][i].item<float>();
    quick.push_back(v / (1 + std::exp(-1.702 * v)));
  }
  ExpectAllNear(QuickGelu(x), quick, 1e-6);
}

TEST(LayersTest, LayerNormMatchesItsDefinition) {
  at::Tensor x = Random({3, 5}, 7);
  LayerNorm n;
  n.weight = at::full({5}, 2.0f);
  n.bias = at::full({5}, 0.5f);
  std::vector<double> want;
  for (int r = 0; r < 3; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < 5; ++i) mean += x[r][i].item<float>() / 5;
    for (int i = 0; i < 5; ++i)
      var += std::pow(x[r][i].item<float>() - mean, 2) / 5;
    for (int i = 0; i < 5; ++i)
      want.push_back(
          (x[r][i].item<float>() - mean) / std::sqrt(var + 1e-5) * 2 + 0.5);
  }
  ExpectAllNear(n(x), want, 1e-4);
}

}  // namespace
}  // namespace ebb::inference::diffusion
