// The dropout loop, written once and compiled per instruction set (mask.cc, mask-avx2.cc,
// mask-avx512.cc): integer hashing and a float64 product per value, so every build gives the same bits.
#pragma once
#include <cstdint>
#include "kernels.h"

namespace weft {
// Internal linkage: each file that includes this compiles its own copy with its own flags (one
// shared inline definition could be the AVX-512 one, picked by the linker for every caller).
namespace {
inline uint32_t pairHash(uint32_t c, uint32_t key) {
  uint32_t h = (c * 0x9e3779b1u) ^ key;
  h = (h ^ (h >> 16)) * 0x7feb352du;
  h = (h ^ (h >> 15)) * 0x846ca68bu;
  return h ^ (h >> 16);
}

// 1 when the 16-bit half u is at or above the threshold (kept), else 0; branch-free.
inline double keep(uint32_t u, int32_t threshold) {
  return static_cast<double>(
      1 - static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(u) - threshold) >> 31));
}

inline void dropoutLoop(const DropoutArgs& a) {
  const int64_t pairs = a.n / 2;
  const float* __restrict x = a.x;
  float* __restrict out = a.out;
  for (int64_t c = 0; c < pairs; c++) {
    const uint32_t h = pairHash(static_cast<uint32_t>(c), a.key);
    out[2 * c] = static_cast<float>(x[2 * c] * a.scale * keep(h & 0xffff, a.threshold));
    out[2 * c + 1] = static_cast<float>(x[2 * c + 1] * a.scale * keep(h >> 16, a.threshold));
  }
  if (a.n % 2 == 1) {
    const uint32_t h = pairHash(static_cast<uint32_t>(pairs), a.key);
    out[a.n - 1] = static_cast<float>(x[a.n - 1] * a.scale * keep(h & 0xffff, a.threshold));
  }
}
}  // namespace
}  // namespace weft
