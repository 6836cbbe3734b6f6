// The CSR aggregation pair without vector instruction flags (any CPU): the loops of csr-impl.h.
#include "csr-impl.h"

namespace weft {
void csrMeanScalar(const CsrArgs& a, const float* x, float* out, int64_t outStride,
                   int64_t outOffset) {
  csrMeanLoop(a, x, out, outStride, outOffset);
}

void csrScatterScalar(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset,
                      float* dh) {
  csrScatterLoop(a, dout, inStride, inOffset, dh);
}
}  // namespace weft
