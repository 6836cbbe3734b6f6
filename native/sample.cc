// One hop of uniform neighbour sampling, the loops of kernels/sampling/neighbor-sampler.ts
// (choosePositions, then mapDirect) with the same xoshiro128** stream and the same draws, so a
// batch is byte-identical whichever runs it.
#include <cmath>
#include <vector>
#include "kernels.h"

namespace weft {
namespace {
constexpr double kTwo32 = 4294967296.0;
constexpr double kTwo53 = 9007199254740992.0;
constexpr int64_t kExactBound = int64_t{1} << 21;

// xoshiro128** over the four state words, as runtime/prng.ts steps them.
struct Xoshiro {
  uint32_t s0, s1, s2, s3;
  uint32_t next() {
    const uint32_t m = s1 * 5;
    const uint32_t r = ((m << 7) | (m >> 25)) * 9;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    return r;
  }
  // Xoshiro128.below: Lemire's exact method under 2^21, 53 scaled random bits beyond.
  int64_t below(int64_t bound) {
    if (bound < kExactBound) {
      const uint64_t b = static_cast<uint64_t>(bound);
      uint64_t m = static_cast<uint64_t>(next()) * b;
      uint32_t lo = static_cast<uint32_t>(m);
      if (lo < b) {
        const uint32_t threshold = static_cast<uint32_t>((uint64_t{1} << 32) - b) % b;
        while (lo < threshold) {
          m = static_cast<uint64_t>(next()) * b;
          lo = static_cast<uint32_t>(m);
        }
      }
      return static_cast<int64_t>(m >> 32);
    }
    const double hi = static_cast<double>(next() >> 11);
    const double x = hi * kTwo32 + static_cast<double>(next());
    return static_cast<int64_t>(std::floor((x / kTwo53) * static_cast<double>(bound)));
  }
};

// Floyd's algorithm with a stamped membership array (kernels/sampling/uniform-pick.ts): take
// distinct offsets out of deg, written as start + x in the order drawn.
struct Floyd {
  std::vector<int32_t> seen;
  int32_t stamp = 0;
  void pick(Xoshiro& rng, double start, int64_t deg, int64_t take, double* pos) {
    if (static_cast<int64_t>(seen.size()) < deg) {
      seen.assign(static_cast<size_t>(deg), 0);
      stamp = 0;
    }
    if (stamp >= 0x3fffffff) {
      std::fill(seen.begin(), seen.end(), 0);
      stamp = 0;
    }
    const int32_t cur = ++stamp;
    for (int64_t j = deg - take; j < deg; j++) {
      int64_t x = rng.below(j + 1);
      if (seen[x] == cur) x = j;
      seen[x] = cur;
      *pos++ = start + static_cast<double>(x);
    }
  }
};
thread_local Floyd tFloyd;

template <class Off>
int64_t hop(const UniformHopArgs& a, const Off* indptr) {
  Xoshiro rng{static_cast<uint32_t>(a.state[0]), static_cast<uint32_t>(a.state[1]),
              static_cast<uint32_t>(a.state[2]), static_cast<uint32_t>(a.state[3])};
  int64_t e = a.rowPtr[a.lo];
  const int64_t e0 = e;
  for (int64_t i = a.lo; i < a.hi; i++) {
    const int64_t g = a.nodes[i];
    const double start = static_cast<double>(indptr[g]);
    const int64_t avail = static_cast<int64_t>(indptr[g + 1]) - static_cast<int64_t>(indptr[g]);
    if (avail <= a.k) {
      for (int64_t p = 0; p < avail; p++) a.pos[e++] = start + static_cast<double>(p);
    } else {
      tFloyd.pick(rng, start, avail, a.k, a.pos + e);
      e += a.k;
    }
    a.rowPtr[i + 1] = static_cast<int32_t>(e);
  }
  a.state[0] = static_cast<int32_t>(rng.s0);
  a.state[1] = static_cast<int32_t>(rng.s1);
  a.state[2] = static_cast<int32_t>(rng.s2);
  a.state[3] = static_cast<int32_t>(rng.s3);
  // Neighbour ids first (a gather whose loads overlap), then the global-to-local map.
  for (int64_t q = e0; q < e; q++) {
    const uint32_t u = a.indices[static_cast<int64_t>(a.pos[q])];
    if (u >= static_cast<uint32_t>(a.numNodes)) return -1;  // before the map is touched
    a.edges[q] = static_cast<int32_t>(u);
  }
  int64_t n = a.n;
  for (int64_t q = e0; q < e; q++) {
    const int32_t u = a.edges[q];
    int64_t l = static_cast<int64_t>(a.slot[u]) - a.base;
    if (l < 0) {
      l = n;
      a.slot[u] = static_cast<int32_t>(a.base + n);
      a.nodes[n++] = u;
    }
    a.edges[q] = static_cast<int32_t>(l);
  }
  return n;
}
}  // namespace

int64_t uniformHop(const UniformHopArgs& a) {
  return a.indptr32 != nullptr ? hop(a, a.indptr32) : hop(a, a.indptr64);
}

}  // namespace weft
