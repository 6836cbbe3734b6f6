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
