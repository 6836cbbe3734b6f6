// CSR mean / weighted mean and its transpose, written once and compiled per instruction set (csr.cc,
// isa-avx2.cc, isa-avx512.cc), in the arithmetic of the JavaScript kernels
// (kernels/ops/csr-weighted-mean.ts, csr-mean.ts): float64 sums in edge order, no fused
// multiply-adds (built with -ffp-contract=off), so every build and JavaScript give the same bits.
#pragma once
#include <vector>
#include "kernels.h"

namespace weft {
// Internal linkage: each file that includes this compiles its own copy with its own flags (one
// shared inline definition could be the AVX-512 one, picked by the linker for every caller).
namespace {
inline double rowNorm(const CsrArgs& a, int64_t s, int64_t e) {
  if (a.weights == nullptr) return static_cast<double>(e - s);
  double w = 0;
  for (int64_t k = s; k < e; k++) w += a.weights[k];
  return w;
}

// Neighbour rows are scattered over a matrix larger than the caches: ask for the row kAhead
// edges ahead while this one is summed.
constexpr int64_t kAhead = 4;
inline void prefetchRow(const float* p, int64_t d) {
  for (int64_t j = 0; j < d; j += 16) __builtin_prefetch(p + j);
}

// One destination row: every neighbour row is read once, whole (contiguous, prefetch-friendly),
// into float64 sums kept per column; each column still sums its edges in edge order.
inline void meanRow(const CsrArgs& a, const float* __restrict x, int64_t s, int64_t e, double scale,
             double* __restrict acc, float* __restrict o) {
  const int64_t d = a.d;
  for (int64_t j = 0; j < d; j++) acc[j] = 0;
  for (int64_t k = s; k < e; k++) {
    const float* __restrict r = x + static_cast<int64_t>(a.indices[k]) * d;
    if (k + kAhead < a.edges) prefetchRow(x + static_cast<int64_t>(a.indices[k + kAhead]) * d, d);
    if (a.weights == nullptr)
      for (int64_t j = 0; j < d; j++) acc[j] += r[j];
    else {
      const double w = a.weights[k];
      for (int64_t j = 0; j < d; j++) acc[j] += w * r[j];
    }
  }
  for (int64_t j = 0; j < d; j++) o[j] = static_cast<float>(acc[j] * scale);
}
inline void csrMeanLoop(const CsrArgs& a, const float* x, float* out, int64_t outStride, int64_t outOffset) {
  std::vector<double> acc(static_cast<size_t>(a.d));
  for (int64_t i = 0; i < a.numDst; i++) {
    const int64_t s = a.indptr[i], e = a.indptr[i + 1];
    double scale = 1;
    if (a.mean) {
      const double norm = rowNorm(a, s, e);
      scale = norm != 0 ? 1 / norm : 0;
    }
    meanRow(a, x, s, e, scale, acc.data(), out + outOffset + i * outStride);
  }
}

inline void csrScatterLoop(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset, float* dh) {
  const int64_t d = a.d;
  std::vector<double> buf(static_cast<size_t>(d));
  double* __restrict gs = buf.data();
  for (int64_t i = 0; i < a.numDst; i++) {
    const int64_t s = a.indptr[i], e = a.indptr[i + 1];
    if (e == s) continue;
    double scale = 1;
    if (a.mean) {
      const double norm = rowNorm(a, s, e);
      if (norm == 0) continue;
      scale = 1 / norm;
    }
    // The scaled gradient row once per destination (float64, as the JavaScript kernel keeps it).
    const float* g = dout + inOffset + i * inStride;
    for (int64_t j = 0; j < d; j++) gs[j] = g[j] * scale;
    for (int64_t k = s; k < e; k++) {
      float* __restrict r = dh + static_cast<int64_t>(a.indices[k]) * d;
      if (k + kAhead < a.edges) prefetchRow(dh + static_cast<int64_t>(a.indices[k + kAhead]) * d, d);
      if (a.weights == nullptr)
        for (int64_t j = 0; j < d; j++) r[j] = static_cast<float>(r[j] + gs[j]);
      else {
        const double w = a.weights[k];
        for (int64_t j = 0; j < d; j++) r[j] = static_cast<float>(r[j] + w * gs[j]);
      }
    }
  }
}
}  // namespace
}  // namespace weft
