// The XXH32 stripe loop (seed 0 lanes, 16-byte stripes), written once and compiled per instruction set
// (xxh32.cc, isa-avx2.cc, isa-avx512.cc): graph-store/checksum.ts keeps the lengths, the partial stripe
// and the digest's finish; this is the bulk of the bytes, the same bits in every build.
#pragma once
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace weft {
// Internal linkage, as mask-impl.h: each including file keeps its own copy compiled with its flags.
namespace {
constexpr uint32_t kXxhPrime1 = 0x9e3779b1u;
constexpr uint32_t kXxhPrime2 = 0x85ebca77u;

inline uint32_t xxhRound(uint32_t acc, uint32_t word) {
  acc += word * kXxhPrime2;
  acc = (acc << 13) | (acc >> 19);
  return acc * kXxhPrime1;
}

inline void xxh32StripesLoop(uint32_t* lanes, const uint8_t* bytes, int64_t stripes) {
  uint32_t v1 = lanes[0], v2 = lanes[1], v3 = lanes[2], v4 = lanes[3];
  for (int64_t s = 0; s < stripes; s++, bytes += 16) {
    // Little-endian words (the addon's hosts are; checksum.ts refuses others), any alignment.
    uint32_t w[4];
    std::memcpy(w, bytes, 16);
    v1 = xxhRound(v1, w[0]);
    v2 = xxhRound(v2, w[1]);
    v3 = xxhRound(v3, w[2]);
    v4 = xxhRound(v4, w[3]);
  }
  lanes[0] = v1;
  lanes[1] = v2;
  lanes[2] = v3;
  lanes[3] = v4;
}
}  // namespace
}  // namespace weft
