// Test helper: random Csr graphs in memory (skewed degrees, optional timestamps with ties and weights,
// rows sorted as the Csr contract says) and a tiny PRNG independent of the code under test.
import type { Csr } from '../../../graph-store/types.js';

/** mulberry32: small, seedable, and not the sampler's own generator. */
export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface RandomGraphOptions {
  numNodes: number;
  numEdges: number;
  /** Per-edge timestamps drawn from [0, timeRange) as integers, so ties are common. */
  timestamps?: boolean;
  timeRange?: number;
  weights?: boolean;
  /** Keep at most one edge per (src, dst). */
  dedupe?: boolean;
  /** Float64Array offsets instead of Uint32Array. */
  offsets64?: boolean;
  /** Degree skew: node i is drawn with probability ~ (i+1)^-skew (0 = uniform). */
  skew?: number;
  /** Back the arrays with SharedArrayBuffers, as a loaded graph store does. */
  shared?: boolean;
}

function drawSkewed(rng: TestRng, n: number, cdf: Float64Array | null): number {
  if (!cdf) return rng.int(n);
  const u = rng.next() * cdf[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function randomCsr(rng: TestRng, o: RandomGraphOptions): Csr {
  const n = o.numNodes;
  let cdf: Float64Array | null = null;
  if (o.skew && o.skew > 0) {
    cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += Math.pow(i + 1, -o.skew);
      cdf[i] = acc;
    }
  }
  // Shuffle ids so the heavy nodes are spread out.
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  type E = { s: number; d: number; t: number; w: number };
  const list: E[] = [];
  const seen = new Set<number>();
  let attempts = 0;
  while (list.length < o.numEdges && attempts < o.numEdges * 20 && n > 0) {
    attempts++;
    const s = perm[drawSkewed(rng, n, cdf)];
    const d = perm[drawSkewed(rng, n, cdf)];
    if (o.dedupe) {
      const key = s * n + d;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    list.push({
      s,
      d,
      t: rng.int(o.timeRange ?? 50),
      w: 0.05 + rng.next() * 5,
    });
  }
  list.sort((a, b) => a.s - b.s || (o.timestamps ? a.t - b.t : a.d - b.d) || a.d - b.d);
  const m = list.length;
  const mk = <T>(
    ctor: { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number },
    len: number,
  ): T =>
    new ctor(
      o.shared
        ? new SharedArrayBuffer(len * ctor.BYTES_PER_ELEMENT)
        : new ArrayBuffer(len * ctor.BYTES_PER_ELEMENT),
    );
  const indptr = o.offsets64 ? mk(Float64Array, n + 1) : mk(Uint32Array, n + 1);
  const indices = mk(Uint32Array, m);
  const timestamps = o.timestamps ? mk(Float64Array, m) : undefined;
  const weights = o.weights ? mk(Float32Array, m) : undefined;
  for (let p = 0; p < m; p++) {
    const e = list[p];
    indptr[e.s + 1]++;
    indices[p] = e.d;
    if (timestamps) timestamps[p] = e.t;
    if (weights) weights[p] = e.w;
  }
  for (let v = 0; v < n; v++) indptr[v + 1] += indptr[v];
  return { numNodes: n, numEdges: m, indptr, indices, timestamps, weights };
}

/** The positions [start, end) of row v. */
export function row(csr: Csr, v: number): [number, number] {
  return [csr.indptr[v], csr.indptr[v + 1]];
}

/** Whether edge v -> u exists in the CSR. */
export function hasEdge(csr: Csr, v: number, u: number): boolean {
  const [a, b] = row(csr, v);
  for (let p = a; p < b; p++) if (csr.indices[p] === u) return true;
  return false;
}

/** Distinct random node ids, or with repeats when `repeats` is set. */
export function randomSeeds(rng: TestRng, n: number, count: number, repeats = false): Int32Array {
  const out = new Int32Array(count);
  if (repeats || count > n) {
    for (let i = 0; i < count; i++) out[i] = rng.int(n);
    return out;
  }
  const chosen = new Set<number>();
  let i = 0;
  while (i < count) {
    const v = rng.int(n);
    if (chosen.has(v)) continue;
    chosen.add(v);
    out[i++] = v;
  }
  return out;
}
