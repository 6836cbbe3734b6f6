// The kernels compiled for AVX2 (-mavx2 -mfma, x86-64 only): the GEMM over this set's vector
// type, and the dropout and CSR loops of mask-impl.h and csr-impl.h vectorised by the compiler.
#include "isa-entry-points.h"
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include "csr-impl.h"
#include "gemm-impl.h"
#include "mask-impl.h"
#include "xxh32-impl.h"

namespace weft {
namespace {
struct V256 {
  using T = __m256;
  static constexpr int W = 8;
  static constexpr bool kWideTile = false;
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

WEFT_ISA_ENTRY_POINTS(Avx2, V256)
}  // namespace weft
#else
namespace weft {
WEFT_ISA_MISSING(Avx2)
}  // namespace weft
#endif
