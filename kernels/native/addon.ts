// Loads the native kernels (native/, an N-API addon built at `npm install`) once per process and
// says why when they are not used: not built (no compiler), failed to load, or WEFT_KERNELS=wasm.

import { nativeAddon } from '../../runtime/native-addon.js';
import { BackendError } from '../tf/errors.js';
import type { AdagradRuns, AdamRuns } from './optimizer-runs.js';

/** The CSR both aggregation calls take first (native/kernels.h, CsrArgs). */
type CsrOperands = [
  indptr: Int32Array,
  indices: Int32Array,
  weights: Float32Array | null,
  numDst: number,
  d: number,
  mean: boolean,
];

/** The addon's exports (native/binding.cc); lengths and indices are checked there. */
export interface NativeAddon {
  /** c[m×n] = op(a)·op(b) (+ bias) (ReLU); see native/kernels.h. */
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  /** Rows of x aggregated over the CSR into out (rows outStride apart, from outOffset). */
  csrMean(
    ...args: [
      ...CsrOperands,
      x: Float32Array,
      out: Float32Array,
      outStride: number,
      outOffset: number,
    ]
  ): void;
  /** The transpose: dout's rows (inStride apart, from inOffset) scattered into dh. */
  csrScatter(
    ...args: [
      ...CsrOperands,
      dout: Float32Array,
      dh: Float32Array,
      inStride: number,
      inOffset: number,
    ]
  ): void;
  /**
   * One hop of uniform neighbour sampling, fanout k >= 1, over the sampler's rows [lo, hi): the
   * loops of NeighborSampler's choosePositions and mapDirect with the same draws (native/sample.cc).
   * Fills pos and rowPtr[lo+1 .. hi], edges from rowPtr[lo], advances state; returns the new n.
   */
  uniformHop(
    indptr: Uint32Array | Float64Array,
    indices: Uint32Array,
    nodes: Int32Array,
    lo: number,
    hi: number,
    k: number,
    state: Int32Array,
    slot: Int32Array,
    base: number,
    rowPtr: Int32Array,
    edges: Int32Array,
    pos: Float64Array,
    n: number,
  ): number;
  /** One Adam step over the runs of p; see AdamRuns and native/optim.cc for the scalars. */
  adam(...args: AdamRuns): void;
  /** One Adagrad step over the runs of p. */
  adagrad(...args: AdagradRuns): void;
  /** Inverted dropout of n values with the hash mask of kernels/nn/dropout.ts (the same bits). */
  dropout(
    x: Float32Array,
    out: Float32Array,
    n: number,
    key: number,
    threshold: number,
    scale: number,
  ): void;
  /** Rows `rows` of x (width d) into out, row i at outOffset + i·outStride (every id checked). */
  gatherRows(
    x: Float32Array,
    rows: Int32Array,
    numRows: number,
    d: number,
    out: Float32Array,
    outStride: number,
    outOffset: number,
  ): void;
  /** out = dy·[y > 0] over n values (fp32, as tf.mul(dy, tf.step(y))). */
  reluGrad(dy: Float32Array, y: Float32Array, out: Float32Array, n: number): void;
  /** XXH32's four lanes advanced over whole 16-byte stripes of bytes (graph-store/checksum.ts). */
  xxh32Stripes(lanes: Uint32Array, bytes: Uint8Array): void;
  /**
   * 2 MiB pages over the array's aligned interior (collapse: merge the filled pages now); the bytes
   * advised, 0 where unsupported, or -errno when refused.
   */
  hugePages(array: ArrayBufferView, collapse: boolean): number;
  /** The instruction set in use; with a name, switches to it (throws if the CPU lacks it). */
  isa(name?: NativeIsa): NativeIsa;
  bestIsa(): NativeIsa;
}

/**
 * Optimizer steps over fewer elements than this (all runs together) stay in JavaScript (same bits
 * either way), so that small steps such as one embedding-table row do not pay for a call.
 */
export const NATIVE_MIN_RUN = 1024;

export type NativeIsa = 'avx512' | 'avx2' | 'scalar';
export type KernelsPreference = 'auto' | 'native' | 'wasm';

export interface NativeStatus {
  /** 'native' when the addon's kernels run, else 'wasm' (the JavaScript and wasm kernels). */
  kernels: 'native' | 'wasm';
  /** One line: the instruction set in use, or why the addon is not used. */
  reason: string;
  isa?: NativeIsa;
  addonPath?: string;
}

let loaded: { addon: NativeAddon | null; status: NativeStatus } | undefined;
let enabled = true;

/** WEFT_KERNELS: auto (default: native when built), native (required), wasm (forced fallback). */
export function kernelsPreference(env: NodeJS.ProcessEnv = process.env): KernelsPreference {
  const v = (env.WEFT_KERNELS ?? '').trim();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'native' || v === 'wasm') return v;
  throw new BackendError(`WEFT_KERNELS=${v}`, [
    { backend: 'WEFT_KERNELS', reason: `must be auto, native or wasm, got '${v}'` },
  ]);
}

function load(): { addon: NativeAddon | null; status: NativeStatus } {
  const pref = kernelsPreference();
  const found = nativeAddon();
  let result: { addon: NativeAddon | null; status: NativeStatus };
  if (found.module === null) {
    result = { addon: null, status: { kernels: 'wasm', reason: found.reason! } };
  } else {
    const addon = found.module as NativeAddon;
    const isa = addon.isa();
    result = {
      addon,
      status: { kernels: 'native', reason: `native ${isa}`, isa, addonPath: found.file },
    };
  }
  if (pref === 'native' && result.addon === null)
    throw new BackendError('native kernels', [
      { backend: 'WEFT_KERNELS=native', reason: result.status.reason },
    ]);
  return result;
}

/** The native kernels, or null when the wasm/JavaScript fallback runs (see nativeStatus). */
export function nativeKernels(): NativeAddon | null {
  loaded ??= load();
  return enabled ? loaded.addon : null;
}

/**
 * Turns the loaded native kernels off or back on in this process, so that benchmarks and tests can
 * run both paths side by side; jobs choose once, at start, with WEFT_KERNELS.
 */
export function setNativeEnabled(on: boolean): void {
  enabled = on;
}

/** Which kernels run and why; the same for every call in a process. */
export function nativeStatus(): NativeStatus {
  loaded ??= load();
  if (loaded.addon !== null && loaded.status.isa !== loaded.addon.isa()) {
    const isa = loaded.addon.isa();
    loaded.status = { ...loaded.status, isa, reason: `native ${isa}` };
  }
  return loaded.status;
}
