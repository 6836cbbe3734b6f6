// GEMM without vector instructions (any CPU), and the B packing every path shares. std::fma keeps
// the bits of the vector paths: one rounding per multiply-add.
#include <cmath>
#include "gemm-impl.h"

namespace weft {
namespace {
struct V1 {
  using T = float;
  static constexpr int W = 1;  // no column is ever left over: loadPart/storePart are never reached
  static constexpr bool kWideTile = false;
  static T zero() { return 0.0f; }
  static T load(const float* p) { return *p; }
  static T loadPart(const float* p, int) { return *p; }
  static T set1(float x) { return x; }
  static T fma(T a, T b, T c) { return std::fma(a, b, c); }
  static T add(T a, T b) { return a + b; }
  static T relu(T v) { return v > 0.0f ? v : 0.0f; }
  static void store(float* p, T v) { *p = v; }
  static void storePart(float* p, T v, int) { *p = v; }
};
}  // namespace

void packB(const GemmArgs& g, float* out) {
  // B is [n×k]; out[kk·n + j] = B[j·k + kk], walked in 32×32 tiles to stay in cache.
  const int64_t t = 32;
  for (int64_t j0 = 0; j0 < g.n; j0 += t)
    for (int64_t k0 = 0; k0 < g.k; k0 += t)
      for (int64_t j = j0; j < j0 + t && j < g.n; j++)
        for (int64_t kk = k0; kk < k0 + t && kk < g.k; kk++) out[kk * g.n + j] = g.b[j * g.k + kk];
}

void gemmScalar(const GemmArgs& g) { gemmBlocked<V1>(g); }
}  // namespace weft
