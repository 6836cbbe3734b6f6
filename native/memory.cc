// Transparent huge pages for the graph's large arrays: the sampler and the first-layer gather read
// them at random, and with 4 KiB pages nearly every read also misses the TLB (a page walk). Asking
// the kernel for 2 MiB pages over the arrays' aligned interior removes most of those walks.
#include <cerrno>
#include <cstdint>
#include "kernels.h"
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace weft {

int64_t adviseHugePages(void* data, int64_t bytes, bool collapse) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{1} << 21;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end =
      (reinterpret_cast<uintptr_t>(data) + static_cast<uintptr_t>(bytes)) & ~(kHuge - 1);
  if (bytes <= 0 || end <= begin) return 0;
  void* p = reinterpret_cast<void*>(begin);
  const size_t len = end - begin;
  if (madvise(p, len, MADV_HUGEPAGE) != 0) return -errno;
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
  // Pages already touched stay small until khugepaged gets to them (minutes for a large graph);
  // MADV_COLLAPSE (Linux 6.1+) does it now. Older kernels refuse it: the advice above still holds.
  if (collapse) madvise(p, len, MADV_COLLAPSE);
  return static_cast<int64_t>(len);
#else
  (void)data;
  (void)bytes;
  (void)collapse;
  return 0;
#endif
}

}  // namespace weft
