// Builds CSR arrays from edges that arrive in chunks, by counting sort: a counting pass (degrees), then
// a fill pass over the same edges replayed. Also the transpose used to add reverse relations.
import type { Offsets } from './types.js';
import type { CsrArrays } from './row-sort.js';

/** A batch of edges; arrays may be longer than `count`. Ids are global. */
export interface EdgeChunk {
  count: number;
  src: Uint32Array;
  dst: Uint32Array;
  timestamps?: Float64Array;
  weights?: Float32Array;
}

const U32_EDGE_LIMIT = 2 ** 32;

/** Offsets array for `rows` rows and `edges` edges: u32 while it fits, float64 beyond. */
export function allocOffsets(rows: number, edges: number): Offsets {
  return edges < U32_EDGE_LIMIT ? new Uint32Array(rows + 1) : new Float64Array(rows + 1);
}

/**
 * Two-pass counting-sort CSR builder over one relation: rows are source ids minus `rowOffset`.
 * With `symmetric`, every edge u->v also adds v->u (a self-loop once); rows then hold both ends.
 */
export class CsrBuilder {
  private counts = new Uint32Array(1024);
  private maxRow = -1;
  private total = 0;
  private indptr?: Offsets;
  private indices?: Uint32Array;
  private ts?: Float64Array;
  private w?: Float32Array;
  private numRows = 0;

  constructor(
    private readonly opts: {
      hasTimestamps: boolean;
      hasWeights: boolean;
      symmetric?: boolean;
      rowOffset?: number;
    },
  ) {}

  /** Highest row seen while counting, -1 if none. */
  get maxRowSeen(): number {
    return this.maxRow;
  }

  /** Edges the fill pass will place (after symmetrization). */
  get edgeCount(): number {
    return this.total;
  }

  private grow(row: number): void {
    let n = this.counts.length;
    while (n <= row) n *= 2;
    const c = new Uint32Array(n);
    c.set(this.counts);
    this.counts = c;
  }

  /** Counting pass: adds a chunk's degrees. */
  count(chunk: EdgeChunk): void {
    const off = this.opts.rowOffset ?? 0;
    const sym = this.opts.symmetric === true;
    const { src, dst } = chunk;
    let counts = this.counts;
    let maxRow = this.maxRow;
    for (let i = 0; i < chunk.count; i++) {
      const s = src[i] - off;
      if (s >= counts.length) {
        this.grow(s);
        counts = this.counts;
      }
      counts[s]++;
      if (s > maxRow) maxRow = s;
      if (sym) {
        const d = dst[i] - off;
        if (d === s) continue;
        if (d >= counts.length) {
          this.grow(d);
          counts = this.counts;
        }
        counts[d]++;
        if (d > maxRow) maxRow = d;
      }
    }
    this.maxRow = maxRow;
    this.total += chunk.count;
    if (sym) for (let i = 0; i < chunk.count; i++) if (src[i] !== dst[i]) this.total++;
  }

  /** Ends counting: allocates the output for `numRows` rows (>= maxRowSeen + 1). */
  allocate(numRows: number): void {
    if (numRows <= this.maxRow) throw new RangeError(`row ${this.maxRow} beyond ${numRows} rows`);
    this.numRows = numRows;
    const indptr = allocOffsets(numRows, this.total);
    // indptr[r] holds row r's start here and serves as its fill cursor.
    let sum = 0;
    const counts = this.counts;
    const counted = Math.min(numRows, counts.length);
    for (let r = 0; r < counted; r++) {
      indptr[r] = sum;
      sum += counts[r];
    }
    for (let r = counted; r <= numRows; r++) indptr[r] = sum;
    this.counts = new Uint32Array(0);
    this.indptr = indptr;
    this.indices = new Uint32Array(this.total);
    if (this.opts.hasTimestamps) this.ts = new Float64Array(this.total);
    if (this.opts.hasWeights) this.w = new Float32Array(this.total);
  }

  /** Fill pass: places a chunk's edges; chunks must replay the counting pass exactly. */
  fill(chunk: EdgeChunk): void {
    const off = this.opts.rowOffset ?? 0;
    const sym = this.opts.symmetric === true;
    const cur = this.indptr!;
    const idx = this.indices!;
    const ts = this.ts;
    const w = this.w;
    const { src, dst } = chunk;
    const cts = chunk.timestamps;
    const cw = chunk.weights;
    for (let i = 0; i < chunk.count; i++) {
      const s = src[i];
      const d = dst[i];
      const p = cur[s - off]++;
      idx[p] = d;
      if (ts) ts[p] = cts![i];
      if (w) w[p] = cw![i];
      if (sym && s !== d) {
        const q = cur[d - off]++;
        idx[q] = s;
        if (ts) ts[q] = cts![i];
        if (w) w[q] = cw![i];
      }
    }
  }

  /** Ends filling; rows keep arrival order (see row-sort.ts to order them). */
  finish(): CsrArrays {
    const indptr = this.indptr!;
    const n = this.numRows;
    // Each cursor now sits at its row's end, i.e. the next row's start: shift right by one.
    if (n > 0 && indptr[n - 1] !== this.total)
      throw new Error('CSR fill pass did not replay the counting pass');
    for (let r = n; r > 0; r--) indptr[r] = indptr[r - 1];
    indptr[0] = 0;
    return {
      numRows: n,
      indptr,
      indices: this.indices!,
      timestamps: this.ts,
      weights: this.w,
    };
  }
}

/**
 * Reverse relation of a CSR: rows become the destination ids minus `dstOffset` (`numDstRows` of them),
 * and each reversed edge points to the global source id `srcOffset + row`. Rows come out sorted by
 * neighbour id; timestamps and weights travel with their edge.
 */
export function transposeCsr(
  c: CsrArrays,
  numDstRows: number,
  dstOffset: number,
  srcOffset: number,
): CsrArrays {
  const { indptr, indices, timestamps: ts, weights: w } = c;
  const m = indices.length;
  const out = allocOffsets(numDstRows, m);
  for (let i = 0; i < m; i++) out[indices[i] - dstOffset + 1]++;
  for (let r = 0; r < numDstRows; r++) out[r + 1] += out[r];
  const tIdx = new Uint32Array(m);
  const tTs = ts ? new Float64Array(m) : undefined;
  const tW = w ? new Float32Array(m) : undefined;
  // out[r] serves as row r's cursor, restored by the shift below.
  for (let r = 0; r < c.numRows; r++) {
    const g = srcOffset + r;
    for (let e = indptr[r]; e < indptr[r + 1]; e++) {
      const p = out[indices[e] - dstOffset]++;
      tIdx[p] = g;
      if (tTs) tTs[p] = ts![e];
      if (tW) tW[p] = w![e];
    }
  }
  for (let r = numDstRows; r > 0; r--) out[r] = out[r - 1];
  out[0] = 0;
  return { numRows: numDstRows, indptr: out, indices: tIdx, timestamps: tTs, weights: tW };
}
