// The blocked GEMM loop nest, written once over a vector type V (AVX-512, AVX2). Included by one
// source file per instruction set, each compiled with that set's flags.
#pragma once
#include <cmath>
#include <cstdlib>
#include <vector>
#include "kernels.h"

namespace weft {

constexpr int64_t kBlockK = 256;  // k rows of packed B per pass: 256 × n floats stay in L2
constexpr int kRows = 4;          // rows of C held in registers at once

inline float aAt(const GemmArgs& g, int64_t i, int64_t kk) {
  return g.transA ? g.a[kk * g.m + i] : g.a[i * g.k + kk];
}

// Finishes one C value held in a scalar: bias and ReLU (after the whole k sum).
inline float finish(const GemmArgs& g, float acc, int64_t j, bool last) {
  if (!last) return acc;
  if (g.bias != nullptr) acc += g.bias[j];
  return g.relu && !(acc > 0.0f) ? 0.0f : acc;
}

// Columns [j0, n) of rows [i0, i1) one at a time with fmaf: same bits as the vector lanes.
inline void scalarColumns(const GemmArgs& g, const float* bp, int64_t i0, int64_t i1, int64_t j0,
                          int64_t k0, int64_t k1) {
  const bool last = k1 == g.k;
  for (int64_t i = i0; i < i1; i++)
    for (int64_t j = j0; j < g.n; j++) {
      float acc = k0 == 0 ? 0.0f : g.c[i * g.n + j];
      for (int64_t kk = k0; kk < k1; kk++) acc = std::fma(aAt(g, i, kk), bp[kk * g.n + j], acc);
      g.c[i * g.n + j] = finish(g, acc, j, last);
    }
}

// R rows × 2 vectors of C over k in [k0, k1).
template <class V, int R>
inline void tile2(const GemmArgs& g, const float* bp, int64_t i, int64_t j, int64_t k0,
                  int64_t k1) {
  typename V::T acc[R][2];
  for (int r = 0; r < R; r++)
    for (int h = 0; h < 2; h++)
      acc[r][h] = k0 == 0 ? V::zero() : V::load(g.c + (i + r) * g.n + j + h * V::W);
  for (int64_t kk = k0; kk < k1; kk++) {
    const auto b0 = V::load(bp + kk * g.n + j);
    const auto b1 = V::load(bp + kk * g.n + j + V::W);
    for (int r = 0; r < R; r++) {
      const auto a = V::set1(aAt(g, i + r, kk));
      acc[r][0] = V::fma(a, b0, acc[r][0]);
      acc[r][1] = V::fma(a, b1, acc[r][1]);
    }
  }
  V::storeFinished(g, acc, R, i, j, 2, k1 == g.k);
}

template <class V, int R>
inline void tile1(const GemmArgs& g, const float* bp, int64_t i, int64_t j, int64_t k0,
                  int64_t k1) {
  typename V::T acc[R][2];
  for (int r = 0; r < R; r++) acc[r][0] = k0 == 0 ? V::zero() : V::load(g.c + (i + r) * g.n + j);
  for (int64_t kk = k0; kk < k1; kk++) {
    const auto b0 = V::load(bp + kk * g.n + j);
    for (int r = 0; r < R; r++) acc[r][0] = V::fma(V::set1(aAt(g, i + r, kk)), b0, acc[r][0]);
  }
  V::storeFinished(g, acc, R, i, j, 1, k1 == g.k);
}

template <class V, int R>
inline void rowBlock(const GemmArgs& g, const float* bp, int64_t i, int64_t k0, int64_t k1) {
  int64_t j = 0;
  for (; j + 2 * V::W <= g.n; j += 2 * V::W) tile2<V, R>(g, bp, i, j, k0, k1);
  for (; j + V::W <= g.n; j += V::W) tile1<V, R>(g, bp, i, j, k0, k1);
  if (j < g.n) scalarColumns(g, bp, i, i + R, j, k0, k1);
}

template <class V>
void gemmBlocked(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  std::vector<float> packed;
  const float* bp = g.b;
  if (g.transB) {
    packed.resize(static_cast<size_t>(g.k * g.n));
    packB(g, packed.data());
    bp = packed.data();
  }
  if (g.k == 0) {  // empty sum: C = bias (then ReLU)
    for (int64_t i = 0; i < g.m; i++)
      for (int64_t j = 0; j < g.n; j++) g.c[i * g.n + j] = finish(g, 0.0f, j, true);
    return;
  }
  for (int64_t k0 = 0; k0 < g.k; k0 += kBlockK) {
    const int64_t k1 = k0 + kBlockK < g.k ? k0 + kBlockK : g.k;
    int64_t i = 0;
    for (; i + kRows <= g.m; i += kRows) rowBlock<V, kRows>(g, bp, i, k0, k1);
    for (; i < g.m; i++) rowBlock<V, 1>(g, bp, i, k0, k1);
  }
}

}  // namespace weft
