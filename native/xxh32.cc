// XXH32's stripe loop for any CPU (xxh32-impl.h); isa-avx2.cc and isa-avx512.cc compile the same loop
// with their flags, and binding.cc picks one by the instruction set in use.
// Plain 32-bit multiplies and rotates: SSE2 has no 32-bit vector multiply, and the compiler's emulation
// of one (pmuludq and shuffles) ran at the TypeScript loop's speed.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize", "no-tree-slp-vectorize")
#endif
#include "xxh32-impl.h"

namespace weft {
void xxh32StripesScalar(uint32_t* lanes, const uint8_t* bytes, int64_t stripes) {
  xxh32StripesLoop(lanes, bytes, stripes);
}
}  // namespace weft
