// Adam and Adagrad updates over a run of parameters, in the arithmetic of kernels/optim/adam.ts and
// adagrad.ts: float64 intermediates in the same order, one rounding to fp32 per stored value, no
// fused multiply-adds (-ffp-contract=off). The caller computes the per-step scalars (bias
// corrections use Math.pow there), so native and JavaScript updates give the same bits.
#include <cmath>
#include "kernels.h"

namespace weft {

void adamUpdate(const AdamArgs& a) {
  const double b1 = a.beta1, b2 = a.beta2;
  for (int64_t k = 0; k < a.n; k++) {
    const int64_t i = a.pOff + k;
    double gi = a.g[a.gOff + k];
    if (!a.decoupled && a.wd != 0) gi += a.wd * static_cast<double>(a.p[i]);
    const double mi = b1 * a.m[i] + (1 - b1) * gi;
    const double vi = b2 * a.v[i] + (1 - b2) * gi * gi;
    a.m[i] = static_cast<float>(mi);
    a.v[i] = static_cast<float>(vi);
    a.p[i] = static_cast<float>(a.p[i] * a.decay - (a.stepSize * mi) / (std::sqrt(vi) / a.sqrtC2 + a.eps));
  }
}

void adagradUpdate(const AdagradArgs& a) {
  for (int64_t k = 0; k < a.n; k++) {
    const int64_t i = a.pOff + k;
    const double gi = a.g[a.gOff + k] + a.wd * static_cast<double>(a.p[i]);
    const double s = a.sum[i] + gi * gi;
    a.sum[i] = static_cast<float>(s);
    a.p[i] = static_cast<float>(a.p[i] - (a.clr * gi) / (std::sqrt(s) + a.eps));
  }
}

}  // namespace weft
