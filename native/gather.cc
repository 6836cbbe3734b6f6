// Row gather: the first layer's self rows, read at random from the graph's feature matrix (far larger
// than the caches) into the batch. A JavaScript loop paid a cache and TLB miss per row in turn;
// here the row kAhead rows on is requested while this one is copied.
#include <cstring>
#include "kernels.h"

namespace weft {
namespace {
constexpr int64_t kAhead = 8;
}  // namespace

void gatherRows(const float* x, const int32_t* rows, int64_t numRows, int64_t d, float* out,
                int64_t outStride, int64_t outOffset) {
  for (int64_t i = 0; i < numRows; i++) {
    if (i + kAhead < numRows) {
      const float* next = x + static_cast<int64_t>(rows[i + kAhead]) * d;
      for (int64_t j = 0; j < d; j += 16) __builtin_prefetch(next + j);
    }
    std::memcpy(out + outOffset + i * outStride, x + static_cast<int64_t>(rows[i]) * d,
                static_cast<size_t>(d) * sizeof(float));
  }
}
}  // namespace weft
