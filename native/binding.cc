// N-API surface of the native kernels: argument checking (every length and index is checked
// before a kernel touches memory, so bad arguments throw a RangeError instead of corrupting it),
// instruction-set dispatch, and the module's exports.
#include <node_api.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include "kernels.h"

namespace weft {
namespace {

enum class Isa { Avx512, Avx2, Scalar };
Isa gBest = Isa::Scalar;
Isa gIsa = Isa::Scalar;

const char* isaName(Isa i) {
  return i == Isa::Avx512 ? "avx512" : i == Isa::Avx2 ? "avx2" : "scalar";
}

Isa detectIsa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  GemmArgs probe{};
  if (__builtin_cpu_supports("avx512f") && gemmAvx512(probe)) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && gemmAvx2(probe))
    return Isa::Avx2;
#endif
  return Isa::Scalar;
}

struct ArgError {
  std::string message;
};

template <class T>
struct View {
  T* data = nullptr;
  int64_t length = 0;
  // false: a nullable argument given as null (an empty array has a null data pointer too).
  bool present = false;
};

const char* arrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array:
      return "Float32Array";
    case napi_float64_array:
      return "Float64Array";
    case napi_uint32_array:
      return "Uint32Array";
    case napi_uint8_array:
      return "Uint8Array";
    default:
      return "Int32Array";
  }
}

template <class T>
View<T> typed(napi_env env, napi_value v, napi_typedarray_type want, const char* name,
              bool nullable) {
  napi_valuetype vt;
  napi_typeof(env, v, &vt);
  if (nullable && (vt == napi_null || vt == napi_undefined)) return {};
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (is) napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  if (!is || type != want) throw ArgError{std::string(name) + " must be a " + arrayName(want)};
  return {static_cast<T*>(data), static_cast<int64_t>(length), true};
}

int64_t integer(napi_env env, napi_value v, const char* name) {
  double x = -1;
  if (napi_get_value_double(env, v, &x) != napi_ok || !(x >= 0) || x > 9.0e15 ||
      x != static_cast<double>(static_cast<int64_t>(x)))
    throw ArgError{std::string(name) + " must be a non-negative integer"};
  return static_cast<int64_t>(x);
}

bool boolean(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

void need(bool ok, const std::string& what) {
  if (!ok) throw ArgError{what};
}

// For checks inside loops over every index: the message is built only when the check fails (a
// std::string per index cost the CSR mean most of its time: 95,000 edges, ~10 ms).
template <class Message>
void needLazy(bool ok, Message message) {
  if (!ok) throw ArgError{message()};
}

template <size_t N>
void args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  needLazy(argc == N, [&] {
    return "expected " + std::to_string(N) + " arguments, got " + std::to_string(argc);
  });
}

template <class F>
napi_value guarded(napi_env env, F f) {
  try {
    f();
  } catch (const ArgError& e) {
    napi_throw_range_error(env, "ERR_WEFT_NATIVE_ARGS", e.message.c_str());
  }
  return nullptr;
}

// As guarded, for entry points that return an integer: f's result, or undefined after a throw.
template <class F>
napi_value guardedInt(napi_env env, F f) {
  napi_value result = nullptr;
  guarded(env, [&] { napi_create_int64(env, f(), &result); });
  return result;
}

// An entry point taking exactly N arguments: f(argv) under guarded (guardedInt: f returns an integer).
template <size_t N, class F>
napi_value withArgs(napi_env env, napi_callback_info info, F f) {
  return guarded(env, [&] {
    napi_value v[N];
    args(env, info, v);
    f(v);
  });
}

template <size_t N, class F>
napi_value withArgsInt(napi_env env, napi_callback_info info, F f) {
  return guardedInt(env, [&] {
    napi_value v[N];
    args(env, info, v);
    return f(v);
  });
}

// Any typed array's element type, length and data; throws naming the argument for anything else.
napi_typedarray_type anyTyped(napi_env env, napi_value v, const char* name, size_t* length,
                              void** data) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  need(is, std::string(name) + " must be a typed array");
  napi_typedarray_type type;
  napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr);
  return type;
}

// Runs the kernel of the instruction set in use; an entry point whose build lacks the set returns
// false, and the scalar one runs.
template <class... P, class... A>
void byIsa(bool (*avx512)(P...), bool (*avx2)(P...), void (*scalar)(P...), A&&... args) {
  if (gIsa == Isa::Avx512 && avx512(args...)) return;
  if (gIsa == Isa::Avx2 && avx2(args...)) return;
  scalar(args...);
}

// gemm(a, b, c, m, n, k, transA, transB, bias | null, relu)
napi_value Gemm(napi_env env, napi_callback_info info) {
  return withArgs<10>(env, info, [&](napi_value* v) {
    auto a = typed<const float>(env, v[0], napi_float32_array, "a", false);
    auto b = typed<const float>(env, v[1], napi_float32_array, "b", false);
    auto c = typed<float>(env, v[2], napi_float32_array, "c", false);
    GemmArgs g{a.data, b.data, c.data, nullptr, integer(env, v[3], "m"), integer(env, v[4], "n"),
               integer(env, v[5], "k"), boolean(env, v[6]), boolean(env, v[7]), boolean(env, v[9])};
    auto bias = typed<const float>(env, v[8], napi_float32_array, "bias", true);
    g.bias = bias.data;
    need(a.length >= g.m * g.k, "a is shorter than m·k");
    need(b.length >= g.k * g.n, "b is shorter than k·n");
    need(c.length >= g.m * g.n, "c is shorter than m·n");
    need(g.bias == nullptr || bias.length >= g.n, "bias is shorter than n");
    byIsa(gemmAvx512, gemmAvx2, gemmScalar, g);
  });
}

CsrArgs csrArgs(napi_env env, napi_value* v, int64_t rows, View<const int32_t>* ip) {
  auto indptr = typed<const int32_t>(env, v[0], napi_int32_array, "indptr", false);
  auto indices = typed<const int32_t>(env, v[1], napi_int32_array, "indices", false);
  auto weights = typed<const float>(env, v[2], napi_float32_array, "weights", true);
  CsrArgs a{indptr.data, indices.data, weights.data, integer(env, v[3], "numDst"),
            integer(env, v[4], "d"), boolean(env, v[5]), 0};
  need(indptr.length >= a.numDst + 1, "indptr is shorter than numDst + 1");
  need(a.numDst == 0 || indptr.data[0] == 0, "indptr must start at 0");
  for (int64_t i = 0; i < a.numDst; i++)
    needLazy(indptr.data[i] <= indptr.data[i + 1],
             [&] { return "indptr decreases at " + std::to_string(i); });
  const int64_t edges = a.numDst == 0 ? 0 : indptr.data[a.numDst];
  a.edges = edges;
  need(indices.length >= edges, "indices is shorter than indptr[numDst]");
  need(a.weights == nullptr || weights.length >= edges, "weights is shorter than indptr[numDst]");
  for (int64_t e = 0; e < edges; e++)
    needLazy(indices.data[e] >= 0 && indices.data[e] < rows, [&] {
      return "indices[" + std::to_string(e) + "] is outside the " + std::to_string(rows) + " rows";
    });
  *ip = indptr;
  return a;
}

// What csrMean and csrScatter share: the CSR (arguments 0-5), the matrix of rows the edges index
// (csrMean's x, csrScatter's dh) and the matrix laid out per destination with a stride and an
// offset (csrMean's out, csrScatter's dout), arguments 6-9.
struct CsrCall {
  CsrArgs a;
  const float* in;
  float* out;
  int64_t stride, offset;
};

CsrCall csrCall(napi_env env, napi_callback_info info, bool scatter) {
  napi_value v[10];
  args(env, info, v);
  auto in = typed<const float>(env, v[6], napi_float32_array, scatter ? "dout" : "x", false);
  auto out = typed<float>(env, v[7], napi_float32_array, scatter ? "dh" : "out", false);
  const int64_t d = integer(env, v[4], "d");
  const int64_t rowsLength = scatter ? out.length : in.length;
  const int64_t dstLength = scatter ? in.length : out.length;
  View<const int32_t> ip;
  CsrArgs a = csrArgs(env, v, d == 0 ? 0 : rowsLength / d, &ip);
  const std::string side = scatter ? "in" : "out";
  const int64_t stride = integer(env, v[8], (side + "Stride").c_str());
  const int64_t off = integer(env, v[9], (side + "Offset").c_str());
  need(a.numDst == 0 || off + d <= stride, side + "Offset + d exceeds " + side + "Stride");
  need(a.numDst == 0 || dstLength >= (a.numDst - 1) * stride + off + d,
       std::string(scatter ? "dout" : "out") + " is too short");
  return {a, in.data, out.data, stride, off};
}

// csrMean(indptr, indices, weights | null, numDst, d, mean, x, out, outStride, outOffset)
napi_value CsrMean(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const CsrCall c = csrCall(env, info, false);
    if (c.a.d == 0) return;
    byIsa(csrMeanAvx512, csrMeanAvx2, csrMeanScalar, c.a, c.in, c.out, c.stride, c.offset);
  });
}

// csrScatter(indptr, indices, weights | null, numDst, d, mean, dout, dh, inStride, inOffset)
napi_value CsrScatter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const CsrCall c = csrCall(env, info, true);
    if (c.a.d == 0) return;
    byIsa(csrScatterAvx512, csrScatterAvx2, csrScatterScalar, c.a, c.in, c.stride, c.offset,
          c.out);
  });
}

// Checks a uniform hop's arguments against the graph and the buffers' capacity (see kernels.h).
void checkHop(const UniformHopArgs& a, int64_t indicesLength, const View<int32_t>& nodes,
              int64_t slotLength, int64_t rowPtrLength, int64_t edgesLength, int64_t posLength) {
  need(a.k >= 1, "k must be at least 1");
  need(a.lo <= a.hi && a.hi <= nodes.length && a.hi < rowPtrLength, "rows [lo, hi) out of range");
  need(a.n <= nodes.length && slotLength >= a.numNodes, "nodes or slot too short");
  need(a.base + nodes.length <= 0x7fffffff, "base + nodes exceeds 2^31");
  int64_t total = 0;
  for (int64_t i = a.lo; i < a.hi; i++) {
    const int64_t g = a.nodes[i];
    needLazy(g >= 0 && g < a.numNodes,
             [&] { return "nodes[" + std::to_string(i) + "] is not a node of the graph"; });
    const double s = a.indptr32 ? a.indptr32[g] : a.indptr64[g];
    const double e = a.indptr32 ? a.indptr32[g + 1] : a.indptr64[g + 1];
    needLazy(s <= e && e <= static_cast<double>(indicesLength),
             [&] { return "indptr of node " + std::to_string(g) + " is outside indices"; });
    total += std::min(static_cast<int64_t>(e - s), a.k);
  }
  const int64_t e0 = a.rowPtr[a.lo];
  need(e0 >= 0 && e0 + total <= edgesLength && e0 + total <= posLength,
       "edges or pos too short for the hop");
  need(a.n + total <= nodes.length, "nodes too short for the hop");
}

// uniformHop(indptr, indices, nodes, lo, hi, k, state, slot, base, rowPtr, edges, pos, n): new n.
napi_value UniformHop(napi_env env, napi_callback_info info) {
  return withArgsInt<13>(env, info, [&](napi_value* v) {
    size_t length;
    void* data;
    const bool wide = anyTyped(env, v[0], "indptr", &length, &data) == napi_float64_array;
    auto ip32 = wide ? View<const uint32_t>{}
                     : typed<const uint32_t>(env, v[0], napi_uint32_array, "indptr", false);
    auto ip64 = wide ? typed<const double>(env, v[0], napi_float64_array, "indptr", false)
                     : View<const double>{};
    auto indices = typed<const uint32_t>(env, v[1], napi_uint32_array, "indices", false);
    auto nodes = typed<int32_t>(env, v[2], napi_int32_array, "nodes", false);
    auto state = typed<int32_t>(env, v[6], napi_int32_array, "state", false);
    auto slot = typed<int32_t>(env, v[7], napi_int32_array, "slot", false);
    auto rowPtr = typed<int32_t>(env, v[9], napi_int32_array, "rowPtr", false);
    auto edges = typed<int32_t>(env, v[10], napi_int32_array, "edges", false);
    auto pos = typed<double>(env, v[11], napi_float64_array, "pos", false);
    const int64_t ipLength = wide ? ip64.length : ip32.length;
    need(ipLength >= 1 && state.length >= 4, "indptr is empty or state has fewer than 4 words");
    UniformHopArgs a{ip32.data, ip64.data, indices.data, nodes.data, integer(env, v[3], "lo"),
                     integer(env, v[4], "hi"), integer(env, v[5], "k"), state.data, slot.data,
                     integer(env, v[8], "base"), rowPtr.data, edges.data, pos.data,
                     integer(env, v[12], "n"), ipLength - 1};
    checkHop(a, indices.length, nodes, slot.length, rowPtr.length, edges.length, pos.length);
    const int64_t n = uniformHop(a);
    need(n >= 0, "a sampled neighbour id is not a node of the graph");
    return n;
  });
}

double number(napi_env env, napi_value v, const char* name) {
  double x = 0;
  if (napi_get_value_double(env, v, &x) != napi_ok || !std::isfinite(x))
    throw ArgError{std::string(name) + " must be a finite number"};
  return x;
}

// The runs of an optimizer step (see Runs in kernels.h), checked against every state array (each
// must hold every row) and the gradient (one run of width per row).
Runs runsArgs(napi_env env, napi_value rowsArg, napi_value widthArg,
              std::initializer_list<std::pair<const char*, int64_t>> state, int64_t gLength) {
  auto rows = typed<const int32_t>(env, rowsArg, napi_int32_array, "rows", true);
  Runs r{rows.data, rows.present ? rows.length : 1, integer(env, widthArg, "width"), !rows.present};
  int64_t maxRow = 0;
  for (int64_t k = 0; !r.dense && k < r.numRows; k++) {
    needLazy(r.rows[k] >= 0, [&] { return "rows[" + std::to_string(k) + "] is negative"; });
    if (r.rows[k] > maxRow) maxRow = r.rows[k];
  }
  const int64_t extent = r.numRows == 0 ? 0 : (maxRow + 1) * r.width;
  for (const auto& [name, length] : state)
    need(length >= extent, std::string(name) + " is shorter than its rows · width");
  need(gLength >= r.numRows * r.width, "g is shorter than rows · width");
  return r;
}

// adam(p, g, m, v, rows | null, width, beta1, beta2, eps, wd, decoupled, stepSize, sqrtC2, decay)
napi_value Adam(napi_env env, napi_callback_info info) {
  return withArgs<14>(env, info, [&](napi_value* v) {
    auto p = typed<float>(env, v[0], napi_float32_array, "p", false);
    auto g = typed<const float>(env, v[1], napi_float32_array, "g", false);
    auto m = typed<float>(env, v[2], napi_float32_array, "m", false);
    auto vv = typed<float>(env, v[3], napi_float32_array, "v", false);
    const Runs runs =
        runsArgs(env, v[4], v[5], {{"p", p.length}, {"m", m.length}, {"v", vv.length}}, g.length);
    AdamArgs a{p.data, g.data, m.data, vv.data, runs,
               number(env, v[6], "beta1"), number(env, v[7], "beta2"), number(env, v[8], "eps"),
               number(env, v[9], "wd"), boolean(env, v[10]), number(env, v[11], "stepSize"),
               number(env, v[12], "sqrtC2"), number(env, v[13], "decay")};
    adamUpdate(a);
  });
}

// adagrad(p, g, sum, rows | null, width, clr, eps, wd)
napi_value Adagrad(napi_env env, napi_callback_info info) {
  return withArgs<8>(env, info, [&](napi_value* v) {
    auto p = typed<float>(env, v[0], napi_float32_array, "p", false);
    auto g = typed<const float>(env, v[1], napi_float32_array, "g", false);
    auto sum = typed<float>(env, v[2], napi_float32_array, "sum", false);
    const Runs runs = runsArgs(env, v[3], v[4], {{"p", p.length}, {"sum", sum.length}}, g.length);
    AdagradArgs a{p.data, g.data, sum.data, runs, number(env, v[5], "clr"),
                  number(env, v[6], "eps"), number(env, v[7], "wd")};
    adagradUpdate(a);
  });
}

// dropout(x, out, n, key, threshold, scale): see DropoutArgs in kernels.h.
napi_value Dropout(napi_env env, napi_callback_info info) {
  return withArgs<6>(env, info, [&](napi_value* v) {
    auto x = typed<const float>(env, v[0], napi_float32_array, "x", false);
    auto out = typed<float>(env, v[1], napi_float32_array, "out", false);
    const int64_t n = integer(env, v[2], "n");
    need(x.length >= n && out.length >= n, "x or out is shorter than n");
    const int64_t key = integer(env, v[3], "key");
    const int64_t threshold = integer(env, v[4], "threshold");
    need(key <= 0xffffffffLL && threshold <= 65536, "key or threshold out of range");
    const double scale = number(env, v[5], "scale");
    const DropoutArgs d{x.data, out.data, n, static_cast<uint32_t>(key),
                        static_cast<int32_t>(threshold), scale};
    byIsa(dropoutAvx512, dropoutAvx2, dropoutScalar, d);
  });
}

// gatherRows(x, rows, numRows, d, out, outStride, outOffset): see kernels.h.
napi_value GatherRows(napi_env env, napi_callback_info info) {
  return withArgs<7>(env, info, [&](napi_value* v) {
    auto x = typed<const float>(env, v[0], napi_float32_array, "x", false);
    auto rows = typed<const int32_t>(env, v[1], napi_int32_array, "rows", false);
    auto out = typed<float>(env, v[4], napi_float32_array, "out", false);
    const int64_t n = integer(env, v[2], "numRows"), d = integer(env, v[3], "d");
    const int64_t stride = integer(env, v[5], "outStride"), off = integer(env, v[6], "outOffset");
    need(rows.length >= n, "rows is shorter than numRows");
    need(n == 0 || (off + d <= stride && out.length >= (n - 1) * stride + off + d),
         "out is too short for numRows rows of outStride");
    const int64_t numX = d == 0 ? 0 : x.length / d;
    for (int64_t i = 0; i < n; i++)
      needLazy(rows.data[i] >= 0 && rows.data[i] < numX, [&] {
        return "rows[" + std::to_string(i) + "] is outside the " + std::to_string(numX) + " rows of x";
      });
    if (d > 0) gatherRows(x.data, rows.data, n, d, out.data, stride, off);
  });
}

// reluGrad(dy, y, out, n): out = dy·[y > 0].
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return withArgs<4>(env, info, [&](napi_value* v) {
    const int64_t n = integer(env, v[3], "n");
    const float* in[2];
    const char* names[2] = {"dy", "y"};
    for (int i = 0; i < 2; i++) {
      auto t = typed<const float>(env, v[i], napi_float32_array, names[i], false);
      need(t.length >= n, std::string(names[i]) + " is shorter than n");
      in[i] = t.data;
    }
    auto out = typed<float>(env, v[2], napi_float32_array, "out", false);
    need(out.length >= n, "out is shorter than n");
    reluGrad(in[0], in[1], out.data, n);
  });
}

// xxh32Stripes(lanes, bytes): XXH32's four lanes (a Uint32Array of 4) advanced over bytes, whole
// 16-byte stripes only (graph-store/checksum.ts keeps the partial stripe).
napi_value Xxh32Stripes(napi_env env, napi_callback_info info) {
  return withArgs<2>(env, info, [&](napi_value* v) {
    auto lanes = typed<uint32_t>(env, v[0], napi_uint32_array, "lanes", false);
    auto bytes = typed<const uint8_t>(env, v[1], napi_uint8_array, "bytes", false);
    need(lanes.length == 4, "lanes must hold 4 values");
    needLazy(bytes.length % 16 == 0, [&] {
      return "bytes must be whole 16-byte stripes, got " + std::to_string(bytes.length) + " bytes";
    });
    const int64_t stripes = bytes.length / 16;
    byIsa(xxh32StripesAvx512, xxh32StripesAvx2, xxh32StripesScalar, lanes.data, bytes.data,
          stripes);
  });
}

int64_t elementBytes(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 4;
  }
}

// hugePages(typedArray, collapse): 2 MiB pages for the array's memory; returns the bytes advised.
napi_value HugePages(napi_env env, napi_callback_info info) {
  return withArgsInt<2>(env, info, [&](napi_value* v) {
    size_t length = 0;
    void* data = nullptr;
    const napi_typedarray_type type = anyTyped(env, v[0], "array", &length, &data);
    const int64_t bytes = static_cast<int64_t>(length) * elementBytes(type);
    return adviseHugePages(data, bytes, boolean(env, v[1]));
  });
}

// isa(): the instruction set in use; isa(name): use another one this CPU supports (tests).
napi_value IsaFn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  if (argc >= 1) {
    char buf[16] = {0};
    size_t len = 0;
    napi_get_value_string_utf8(env, arg, buf, sizeof buf, &len);
    const std::string want(buf, len);
    const Isa order[] = {Isa::Avx512, Isa::Avx2, Isa::Scalar};
    bool ok = false;
    for (Isa i : order)
      if (i >= gBest && want == isaName(i)) {
        gIsa = i;
        ok = true;
      }
    if (!ok) {
      napi_throw_range_error(env, "ERR_WEFT_NATIVE_ISA",
                             ("unsupported instruction set: " + want).c_str());
      return nullptr;
    }
  }
  napi_value out;
  napi_create_string_utf8(env, isaName(gIsa), NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value BestIsa(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, isaName(gBest), NAPI_AUTO_LENGTH, &out);
  return out;
}

// An exported function of the module.
napi_property_descriptor method(const char* name, napi_callback fn) {
  return {name, nullptr, fn, nullptr, nullptr, nullptr, napi_enumerable, nullptr};
}

napi_value Init(napi_env env, napi_value exports) {
  gBest = gIsa = detectIsa();
  const napi_property_descriptor props[] = {
      method("gemm", Gemm),
      method("csrMean", CsrMean),
      method("csrScatter", CsrScatter),
      method("uniformHop", UniformHop),
      method("adam", Adam),
      method("adagrad", Adagrad),
      method("dropout", Dropout),
      method("gatherRows", GatherRows),
      method("reluGrad", ReluGrad),
      method("xxh32Stripes", Xxh32Stripes),
      method("hugePages", HugePages),
      method("isa", IsaFn),
      method("bestIsa", BestIsa),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace weft

NAPI_MODULE(NODE_GYP_MODULE_NAME, weft::Init)
