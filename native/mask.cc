// The elementwise masks of a training step: inverted dropout with the hash mask of
// kernels/nn/dropout.ts (mask-impl.h, also compiled per instruction set in isa-*.cc; same hash, same float64 product, one rounding to fp32: the
// same bits) and the ReLU gradient dy·[y > 0], each one pass instead of a JavaScript or two wasm ones.
#include "mask-impl.h"

namespace weft {
void dropoutScalar(const DropoutArgs& a) { dropoutLoop(a); }

void reluGrad(const float* __restrict dy, const float* __restrict y, float* __restrict out,
              int64_t n) {
  // A select the compiler turns into a vector compare and blend (random signs defeat a branch).
  for (int64_t i = 0; i < n; i++) {
    const float m = y[i] > 0.0f ? 1.0f : 0.0f;
    out[i] = dy[i] * m;
  }
}
}  // namespace weft
