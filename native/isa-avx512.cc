// The kernels compiled for AVX-512 (-mavx512f -mfma, x86-64 only): the GEMM over this set's vector
// type, and the dropout and CSR loops of mask-impl.h and csr-impl.h vectorised by the compiler.
#include "isa-entry-points.h"
#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#include "csr-impl.h"
#include "gemm-impl.h"
#include "mask-impl.h"
#include "xxh32-impl.h"

namespace weft {
namespace {
struct V512 {
  using T = __m512;
  static constexpr int W = 16;
  static constexpr bool kWideTile = true;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1); }
  static T loadPart(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T relu(T v) { return _mm512_max_ps(v, zero()); }  // NaN → 0, as the scalar finish
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void storePart(float* p, T v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
};
}  // namespace

WEFT_ISA_ENTRY_POINTS(Avx512, V512)
}  // namespace weft
#else
namespace weft {
WEFT_ISA_MISSING(Avx512)
}  // namespace weft
#endif
