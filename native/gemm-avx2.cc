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
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T loadPart(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T relu(T v) { return _mm256_max_ps(v, zero()); }  // NaN → 0, as the scalar finish
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void storePart(float* p, T v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
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
