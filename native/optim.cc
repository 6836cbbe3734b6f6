// Adam and Adagrad updates over a run of parameters, in the arithmetic of kernels/optim/adam.ts and
// adagrad.ts: float64 intermediates in the same order, one rounding to fp32 per stored value, no
// fused multiply-adds (-ffp-contract=off). The caller computes the per-step scalars (bias
// corrections use Math.pow there), so native and JavaScript updates give the same bits.
#include <cmath>
#include "kernels.h"

namespace weft {
namespace {
// Calls f(pOff, gOff) for each run, in order.
template <class F>
void eachRun(const Runs& r, F f) {
  if (r.dense) {
    f(int64_t{0}, int64_t{0});
    return;
  }
  for (int64_t k = 0; k < r.numRows; k++) f(static_cast<int64_t>(r.rows[k]) * r.width, k * r.width);
}
}  // namespace

void adamUpdate(const AdamArgs& a) {
  const double b1 = a.beta1, b2 = a.beta2;
  eachRun(a.runs, [&](int64_t pOff, int64_t gOff) {
    for (int64_t k = 0; k < a.runs.width; k++) {
      const int64_t i = pOff + k;
      double gi = a.g[gOff + k];
      if (!a.decoupled && a.wd != 0) gi += a.wd * static_cast<double>(a.p[i]);
      const double mi = b1 * a.m[i] + (1 - b1) * gi;
      const double vi = b2 * a.v[i] + (1 - b2) * gi * gi;
      a.m[i] = static_cast<float>(mi);
      a.v[i] = static_cast<float>(vi);
      a.p[i] = static_cast<float>(a.p[i] * a.decay -
                                  (a.stepSize * mi) / (std::sqrt(vi) / a.sqrtC2 + a.eps));
    }
  });
}

void adagradUpdate(const AdagradArgs& a) {
  eachRun(a.runs, [&](int64_t pOff, int64_t gOff) {
    for (int64_t k = 0; k < a.runs.width; k++) {
      const int64_t i = pOff + k;
      const double gi = a.g[gOff + k] + a.wd * static_cast<double>(a.p[i]);
      const double s = a.sum[i] + gi * gi;
      a.sum[i] = static_cast<float>(s);
      a.p[i] = static_cast<float>(a.p[i] - (a.clr * gi) / (std::sqrt(s) + a.eps));
    }
  });
}

}  // namespace weft
