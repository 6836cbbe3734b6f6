// The native kernels' C++ interface: one GEMM entry point per instruction set and the CSR
// aggregation pair. Every function works on caller-owned memory (often a view of the wasm heap).
#pragma once
#include <cstddef>
#include <cstdint>

namespace weft {

// C[m×n] = op(A)·op(B) (+ bias[n]) (then ReLU). op(A) is A [m×k] or, with transA, Aᵀ of A [k×m];
// op(B) is B [k×n] or, with transB, Bᵀ of B [n×k]. Each C[i][j] is accumulated in fp32 with one
// fused multiply-add per k, k ascending, then the bias is added, whatever the instruction set:
// the AVX-512, AVX2 and scalar paths give the same bits.
struct GemmArgs {
  const float* a;
  const float* b;
  float* c;
  const float* bias;  // null: no bias
  int64_t m, n, k;
  bool transA, transB, relu;
};

// Each returns false when this build has no code for its instruction set.
bool gemmAvx512(const GemmArgs& g);
bool gemmAvx2(const GemmArgs& g);
void gemmScalar(const GemmArgs& g);

// B packed to [k×n] row-major whatever its layout; out must hold k·n floats.
void packB(const GemmArgs& g, float* out);

struct CsrArgs {
  const int32_t* indptr;
  const int32_t* indices;
  const float* weights;  // null: every edge weighs 1
  int64_t numDst;
  int64_t d;
  bool mean;
  int64_t edges;  // indptr[numDst]: the end of indices
};

// out[outOffset + i·outStride + j] = scale_i · Σ_e w_e·x[indices[e]·d + j]: float64 sums in edge
// order, one multiply by scale_i = 1/norm_i (mean) or 1, rounded to fp32 once — the arithmetic of
// kernels/ops/csr-weighted-mean.ts, so both give the same bits.
// Per instruction set, as the GEMM (false: no code for it in this build); the same bits on each.
bool csrMeanAvx512(const CsrArgs& a, const float* x, float* out, int64_t outStride,
                   int64_t outOffset);
bool csrMeanAvx2(const CsrArgs& a, const float* x, float* out, int64_t outStride,
                 int64_t outOffset);
void csrMeanScalar(const CsrArgs& a, const float* x, float* out, int64_t outStride,
                   int64_t outOffset);

// dh[indices[e]·d + j] += w_e·scale_i·dout[inOffset + i·inStride + j], in the order of
// kernels/ops/csr-mean.ts's csrScatterRows (float64 products, one fp32 rounding per add).
bool csrScatterAvx512(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset,
                      float* dh);
bool csrScatterAvx2(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset,
                    float* dh);
void csrScatterScalar(const CsrArgs& a, const float* dout, int64_t inStride, int64_t inOffset,
                      float* dh);

// The runs an optimizer step updates: with rows, run k is p[rows[k]·width ..] (and its slots) with
// gradient g[k·width ..], in the order of rows (an embedding table's rows); without, the one run
// p[0 .. width) with g[0 .. width) (a dense parameter).
struct Runs {
  const int32_t* rows;
  int64_t numRows;
  int64_t width;
  bool dense;  // one dense run; rows is unused (an empty rows list is no run at all)
};

// One Adam (or AdamW, decoupled) step over the runs; stepSize = lr/(1-β1^t), sqrtC2 = sqrt(1-β2^t),
// decay = 1-lr·wd (decoupled) or 1, computed by the caller.
struct AdamArgs {
  float* p;
  const float* g;
  float* m;
  float* v;
  Runs runs;
  double beta1, beta2, eps, wd;
  bool decoupled;
  double stepSize, sqrtC2, decay;
};
void adamUpdate(const AdamArgs& a);

// One Adagrad step over the runs: sum += g², p -= clr·g/(sqrt(sum)+eps), with g = grad + wd·p.
struct AdagradArgs {
  float* p;
  const float* g;
  float* sum;
  Runs runs;
  double clr, eps, wd;
};
void adagradUpdate(const AdagradArgs& a);

// One hop of uniform sampling over rows [lo, hi) of the sampler's local nodes with fanout k >= 1:
// chosen CSR positions into pos and rowPtr[lo+1 .. hi], then the chosen neighbours into edges as
// local ids (new ones appended to nodes from n, marked in slot as base + local id). The state words
// advance as the JavaScript sampler's would. Returns the new node count. Every index was checked.
struct UniformHopArgs {
  const uint32_t* indptr32;  // one of the two offset layouts is set
  const double* indptr64;
  const uint32_t* indices;
  int32_t* nodes;
  int64_t lo, hi, k;
  int32_t* state;
  int32_t* slot;
  int64_t base;
  int32_t* rowPtr;
  int32_t* edges;
  double* pos;
  int64_t n;
  int64_t numNodes;
};
// -1 when a chosen neighbour id is not below numNodes (the map is then left as it was).
int64_t uniformHop(const UniformHopArgs& a);

// out[outOffset + i·outStride + j] = x[rows[i]·d + j] for i < numRows, j < d: rows of a large
// matrix (the graph's features) copied to a batch, the next rows prefetched while one is copied.
void gatherRows(const float* x, const int32_t* rows, int64_t numRows, int64_t d, float* out,
                int64_t outStride, int64_t outOffset);

// Inverted dropout of n values: out[i] = x[i]·scale·keep(i), keep(i) = 1 when the 16-bit half of
// the pair hash of (i/2, key) is at least threshold (kernels/nn/dropout.ts; float64 product, one
// rounding to fp32). x and out must not overlap.
struct DropoutArgs {
  const float* x;
  float* out;
  int64_t n;
  uint32_t key;
  int32_t threshold;
  double scale;
};
// Each returns false when this build has no code for its instruction set.
bool dropoutAvx512(const DropoutArgs& a);
bool dropoutAvx2(const DropoutArgs& a);
void dropoutScalar(const DropoutArgs& a);

// out[i] = dy[i]·(y[i] > 0 ? 1 : 0) in fp32, as tf.mul(dy, tf.step(y)).
void reluGrad(const float* dy, const float* y, float* out, int64_t n);

// XXH32 (graph-store/checksum.ts) over `stripes` 16-byte stripes of little-endian words: the four
// lanes in `lanes` are advanced in place; lengths, the partial stripe and the finish stay in TypeScript.
// Each returns false when this build has no code for its instruction set.
bool xxh32StripesAvx512(uint32_t* lanes, const uint8_t* bytes, int64_t stripes);
bool xxh32StripesAvx2(uint32_t* lanes, const uint8_t* bytes, int64_t stripes);
void xxh32StripesScalar(uint32_t* lanes, const uint8_t* bytes, int64_t stripes);

// Asks for 2 MiB pages over the 2 MiB-aligned interior of [data, data + bytes) and, with collapse,
// for the pages already touched to be merged now. Returns the bytes advised, 0 where unsupported,
// or -errno when the kernel refused the advice.
int64_t adviseHugePages(void* data, int64_t bytes, bool collapse);

}  // namespace weft
