// CSR mean / weighted mean and its transpose, in the arithmetic of the JavaScript kernels
// (kernels/ops/csr-weighted-mean.ts, csr-mean.ts): float64 sums in edge order, no fused
// multiply-adds (built with -ffp-contract=off), so native and JavaScript give the same bits.
#include "kernels.h"

namespace weft {
namespace {
double rowNorm(const CsrArgs& a, int64_t s, int64_t e) {
  if (a.weights == nullptr) return static_cast<double>(e - s);
  double w = 0;
  for (int64_t k = s; k < e; k++) w += a.weights[k];
  return w;
}

constexpr int kLanes = 8;  // columns summed together: one read of each neighbour row per block

void meanRow(const CsrArgs& a, const float* x, int64_t s, int64_t e, double scale, float* o) {
  const int64_t d = a.d;
  const int64_t d8 = d - d % kLanes;
  for (int64_t j = 0; j < d8; j += kLanes) {
    double acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t k = s; k < e; k++) {
      const float* r = x + static_cast<int64_t>(a.indices[k]) * d + j;
      if (a.weights == nullptr)
        for (int l = 0; l < kLanes; l++) acc[l] += r[l];
      else {
        const double w = a.weights[k];
        for (int l = 0; l < kLanes; l++) acc[l] += w * r[l];
      }
    }
    for (int l = 0; l < kLanes; l++) o[j + l] = static_cast<float>(acc[l] * scale);
  }
  for (int64_t j = d8; j < d; j++) {
    double acc = 0;
    for (int64_t k = s; k < e; k++) {
      const double w = a.weights == nullptr ? 1.0 : a.weights[k];
      acc += w * x[static_cast<int64_t>(a.indices[k]) * d + j];
    }
    o[j] = static_cast<float>(acc * scale);
  }
}
}  // namespace

void csrMean(const CsrArgs& a, const float* x, float* out, int64_t outStride, int64_t outOffset) {
  for (int64_t i = 0; i < a.numDst; i++) {
    const int64_t s = a.indptr[i], e = a.indptr[i + 1];
    double scale = 1;
    if (a.mean) {
      const double norm = rowNorm(a, s, e);
      scale = norm != 0 ? 1 / norm : 0;
    }
    meanRow(a, x, s, e, scale, out + outOffset + i * outStride);
  }
}

void csrScatter(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset, float* dh) {
  const int64_t d = a.d;
  for (int64_t i = 0; i < a.numDst; i++) {
    const int64_t s = a.indptr[i], e = a.indptr[i + 1];
    if (e == s) continue;
    double scale = 1;
    if (a.mean) {
      const double norm = rowNorm(a, s, e);
      if (norm == 0) continue;
      scale = 1 / norm;
    }
    const float* g = dout + inOffset + i * inStride;
    for (int64_t k = s; k < e; k++) {
      float* r = dh + static_cast<int64_t>(a.indices[k]) * d;
      if (a.weights == nullptr)
        for (int64_t j = 0; j < d; j++) r[j] = static_cast<float>(r[j] + g[j] * scale);
      else {
        const double w = a.weights[k];
        for (int64_t j = 0; j < d; j++) r[j] = static_cast<float>(r[j] + w * (g[j] * scale));
      }
    }
  }
}
}  // namespace weft
