// The blocked GEMM loop nest, written once over a vector type V (AVX-512, AVX2). Included by one
// source file per instruction set, each compiled with that set's flags.
#pragma once
#include <cmath>
#include <cstdlib>
#include <vector>
#include "kernels.h"

namespace weft {
// Internal linkage: each file that includes this compiles its own copy with its own flags (one
// shared inline definition could be the AVX-512 one, picked by the linker for every caller).
namespace {

constexpr int64_t kBlockK = 256;  // k rows of packed B per pass: 256 × n floats stay in L2
// Rows of C held in registers at once (8 rows of AVX-512 measured no faster on the layers' shapes).
constexpr int kRows = 4;

inline float aAt(const GemmArgs& g, int64_t i, int64_t kk) {
  return g.transA ? g.a[kk * g.m + i] : g.a[i * g.k + kk];
}

// Finishes one C value held in a scalar: bias and ReLU (after the whole k sum; k = 0 only).
inline float finish(const GemmArgs& g, float acc, int64_t j, bool last) {
  if (!last) return acc;
  if (g.bias != nullptr) acc += g.bias[j];
  return g.relu && !(acc > 0.0f) ? 0.0f : acc;
}

// A vector of columns [j, j + W), or its first `tail` columns when tail > 0 (masked: the lanes
// beyond are neither read nor written), so narrow outputs (n = 8 classes) stay in vectors.
template <class V>
inline typename V::T loadCols(const float* p, int tail) {
  return tail > 0 ? V::loadPart(p, tail) : V::load(p);
}

// R rows × NV vectors of C over k in [k0, k1); the last vector holds `tail` columns when tail > 0.
// Each lane is one C value with one fma per k, k ascending: the scalar path's bits.
template <class V, int R, int NV>
inline void tile(const GemmArgs& g, const float* bp, int64_t i, int64_t j, int tail, int64_t k0,
                 int64_t k1) {
  typename V::T acc[R][NV];
  auto tailOf = [tail](int h) { return h == NV - 1 ? tail : 0; };
  for (int r = 0; r < R; r++)
    for (int h = 0; h < NV; h++)
      acc[r][h] = k0 == 0 ? V::zero() : loadCols<V>(g.c + (i + r) * g.n + j + h * V::W, tailOf(h));
  for (int64_t kk = k0; kk < k1; kk++) {
    typename V::T b[NV];
    for (int h = 0; h < NV; h++) b[h] = loadCols<V>(bp + kk * g.n + j + h * V::W, tailOf(h));
    for (int r = 0; r < R; r++) {
      const auto a = V::set1(aAt(g, i + r, kk));
      for (int h = 0; h < NV; h++) acc[r][h] = V::fma(a, b[h], acc[r][h]);
    }
  }
  const bool last = k1 == g.k;
  for (int h = 0; h < NV; h++) {
    const int64_t jj = j + h * V::W;
    const typename V::T add =
        last && g.bias != nullptr ? loadCols<V>(g.bias + jj, tailOf(h)) : V::zero();
    for (int r = 0; r < R; r++) {
      typename V::T v = last ? V::add(acc[r][h], add) : acc[r][h];
      if (last && g.relu) v = V::relu(v);
      float* out = g.c + (i + r) * g.n + jj;
      if (tailOf(h) > 0)
        V::storePart(out, v, tailOf(h));
      else
        V::store(out, v);
    }
  }
}

template <class V, int R>
inline void rowBlock(const GemmArgs& g, const float* bp, int64_t i, int64_t k0, int64_t k1) {
  int64_t j = 0;
  // 4 vectors wide where the registers allow it (AVX-512's 32: 16 accumulators + 4 of B): half the
  // broadcasts of A per multiply-add; Xᵀ·dZ of the first layer went from ~5.0 to ~3.8 ms.
  if constexpr (V::kWideTile)
    for (; j + 4 * V::W <= g.n; j += 4 * V::W) tile<V, R, 4>(g, bp, i, j, 0, k0, k1);
  for (; j + 2 * V::W <= g.n; j += 2 * V::W) tile<V, R, 2>(g, bp, i, j, 0, k0, k1);
  for (; j + V::W <= g.n; j += V::W) tile<V, R, 1>(g, bp, i, j, 0, k0, k1);
  if (j < g.n) tile<V, R, 1>(g, bp, i, j, static_cast<int>(g.n - j), k0, k1);
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

}  // namespace
}  // namespace weft
