// GEMM with 8-lane AVX2 vectors and FMA (compiled with -mavx2 -mfma on x86-64 only).
#include "kernels.h"
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include "gemm-impl.h"

namespace weft {
namespace {
struct V256 {
  using T = __m256;
  static constexpr int W = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static void storeFinished(const GemmArgs& g, T (*acc)[2], int rows, int64_t i, int64_t j,
                            int vecs, bool last) {
    for (int h = 0; h < vecs; h++) {
      const int64_t jj = j + h * W;
      T add = last && g.bias != nullptr ? _mm256_loadu_ps(g.bias + jj) : zero();
      for (int r = 0; r < rows; r++) {
        T v = last ? _mm256_add_ps(acc[r][h], add) : acc[r][h];
        if (last && g.relu) v = _mm256_max_ps(v, zero());
        _mm256_storeu_ps(g.c + (i + r) * g.n + jj, v);
      }
    }
  }
};
}  // namespace

bool gemmAvx2(const GemmArgs& g) {
  gemmBlocked<V256>(g);
  return true;
}
}  // namespace weft
#else
namespace weft {
bool gemmAvx2(const GemmArgs&) { return false; }
}  // namespace weft
#endif
