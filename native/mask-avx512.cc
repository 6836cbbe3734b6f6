// Dropout compiled for AVX512 (the loop of mask-impl.h, vectorised by the compiler).
#include "kernels.h"
#if defined(__x86_64__) && defined(__AVX512F__)
#include "mask-impl.h"
namespace weft {
bool dropoutAvx512(const DropoutArgs& a) {
  dropoutLoop(a);
  return true;
}
}  // namespace weft
#else
namespace weft {
bool dropoutAvx512(const DropoutArgs&) { return false; }
}  // namespace weft
#endif
