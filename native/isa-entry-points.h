// The entry points of one instruction set's build (isa-avx2.cc, isa-avx512.cc): each runs the
// shared loops compiled with that file's flags, or, where the compiler lacks the set, says it cannot.
#pragma once
#include "kernels.h"

#define WEFT_ISA_ENTRY_POINTS(Name, V)                                                          \
  bool gemm##Name(const GemmArgs& g) {                                                          \
    gemmBlocked<V>(g);                                                                          \
    return true;                                                                                \
  }                                                                                             \
  bool dropout##Name(const DropoutArgs& a) {                                                    \
    dropoutLoop(a);                                                                             \
    return true;                                                                                \
  }                                                                                             \
  bool csrMean##Name(const CsrArgs& a, const float* x, float* out, int64_t stride, int64_t off) { \
    csrMeanLoop(a, x, out, stride, off);                                                        \
    return true;                                                                                \
  }                                                                                             \
  bool csrScatter##Name(const CsrArgs& a, const float* dout, int64_t stride, int64_t off,       \
                        float* dh) {                                                            \
    csrScatterLoop(a, dout, stride, off, dh);                                                   \
    return true;                                                                                \
  }                                                                                             \
  bool xxh32Stripes##Name(uint32_t* lanes, const uint8_t* bytes, int64_t stripes) {             \
    xxh32StripesLoop(lanes, bytes, stripes);                                                    \
    return true;                                                                                \
  }

#define WEFT_ISA_MISSING(Name)                                                                  \
  bool gemm##Name(const GemmArgs&) { return false; }                                            \
  bool dropout##Name(const DropoutArgs&) { return false; }                                      \
  bool csrMean##Name(const CsrArgs&, const float*, float*, int64_t, int64_t) { return false; }  \
  bool csrScatter##Name(const CsrArgs&, const float*, int64_t, int64_t, float*) { return false; } \
  bool xxh32Stripes##Name(uint32_t*, const uint8_t*, int64_t) { return false; }
