// Dropout compiled for AVX2 (the loop of mask-impl.h, vectorised by the compiler).
#include "kernels.h"
#if defined(__x86_64__) && defined(__AVX2__)
#include "mask-impl.h"
namespace weft {
bool dropoutAvx2(const DropoutArgs& a) {
  dropoutLoop(a);
  return true;
}
}  // namespace weft
#else
namespace weft {
bool dropoutAvx2(const DropoutArgs&) { return false; }
}  // namespace weft
#endif
