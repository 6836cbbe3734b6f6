// GEMM with 16-lane AVX-512 vectors (compiled with -mavx512f -mfma on x86-64 only).
#include "kernels.h"
#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#include "gemm-impl.h"

namespace weft {
namespace {
struct V512 {
  using T = __m512;
  static constexpr int W = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static void storeFinished(const GemmArgs& g, T (*acc)[2], int rows, int64_t i, int64_t j,
                            int vecs, bool last) {
    for (int h = 0; h < vecs; h++) {
      const int64_t jj = j + h * W;
      T add = last && g.bias != nullptr ? _mm512_loadu_ps(g.bias + jj) : zero();
      for (int r = 0; r < rows; r++) {
        T v = last ? _mm512_add_ps(acc[r][h], add) : acc[r][h];
        if (last && g.relu) v = _mm512_max_ps(v, zero());
        _mm512_storeu_ps(g.c + (i + r) * g.n + jj, v);
      }
    }
  }
};
}  // namespace

bool gemmAvx512(const GemmArgs& g) {
  gemmBlocked<V512>(g);
  return true;
}
}  // namespace weft
#else
namespace weft {
bool gemmAvx512(const GemmArgs&) { return false; }
}  // namespace weft
#endif
