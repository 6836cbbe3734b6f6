// Orders the edges inside every CSR row (by timestamp, else by neighbour id) and drops duplicate edges,
// in place over parallel per-edge arrays. Quicksort with an insertion-sort base, no allocation per row.
import type { Offsets } from './types.js';

/** CSR arrays as built and written: rows are a contiguous id range, `indices` hold global ids. */
export interface CsrArrays {
  numRows: number;
  indptr: Offsets;
  indices: Uint32Array;
  timestamps?: Float64Array;
  weights?: Float32Array;
  edgeType?: Uint8Array;
}

const INSERTION_MAX = 16;
const EMPTY_F64 = new Float64Array(0);
const EMPTY_F32 = new Float32Array(0);
const EMPTY_U8 = new Uint8Array(0);

/**
 * Sorts rows of parallel edge arrays. Key order: timestamp (when `byTime`), neighbour id, edge type,
 * weight; so equal keys are identical edges and the result is deterministic.
 */
class RowSorter {
  private readonly idx: Uint32Array;
  private readonly ts: Float64Array;
  private readonly w: Float32Array;
  private readonly et: Uint8Array;
  private readonly hasTs: boolean;
  private readonly hasW: boolean;
  private readonly hasEt: boolean;
  private readonly byTime: boolean;
  // The pivot's key, held apart because the pivot element moves while partitioning.
  private pIdx = 0;
  private pTs = 0;
  private pW = 0;
  private pEt = 0;

  constructor(c: CsrArrays, byTime: boolean) {
    this.idx = c.indices;
    this.ts = c.timestamps ?? EMPTY_F64;
    this.w = c.weights ?? EMPTY_F32;
    this.et = c.edgeType ?? EMPTY_U8;
    this.hasTs = c.timestamps !== undefined;
    this.hasW = c.weights !== undefined;
    this.hasEt = c.edgeType !== undefined;
    this.byTime = byTime && this.hasTs;
  }

  /** Negative, zero or positive as edge i orders before, with, or after the held pivot. */
  private cmpPivot(i: number): number {
    if (this.byTime && this.ts[i] !== this.pTs) return this.ts[i] < this.pTs ? -1 : 1;
    if (this.idx[i] !== this.pIdx) return this.idx[i] < this.pIdx ? -1 : 1;
    if (this.hasTs && this.ts[i] !== this.pTs) return this.ts[i] < this.pTs ? -1 : 1;
    if (this.hasEt && this.et[i] !== this.pEt) return this.et[i] - this.pEt;
    if (this.hasW && this.w[i] !== this.pW) return this.w[i] < this.pW ? -1 : 1;
    return 0;
  }

  private holdPivot(i: number): void {
    this.pIdx = this.idx[i];
    if (this.hasTs) this.pTs = this.ts[i];
    if (this.hasW) this.pW = this.w[i];
    if (this.hasEt) this.pEt = this.et[i];
  }

  private swap(i: number, j: number): void {
    const a = this.idx[i];
    this.idx[i] = this.idx[j];
    this.idx[j] = a;
    if (this.hasTs) {
      const t = this.ts[i];
      this.ts[i] = this.ts[j];
      this.ts[j] = t;
    }
    if (this.hasW) {
      const t = this.w[i];
      this.w[i] = this.w[j];
      this.w[j] = t;
    }
    if (this.hasEt) {
      const t = this.et[i];
      this.et[i] = this.et[j];
      this.et[j] = t;
    }
  }

  /** Sorts edges [lo, hi). */
  sort(lo: number, hi: number): void {
    while (hi - lo > INSERTION_MAX) {
      // Median of three as pivot, then Hoare partition against the held pivot key.
      const mid = lo + ((hi - lo) >>> 1);
      this.holdPivot(mid);
      if (this.cmpPivot(lo) > 0) this.swap(lo, mid);
      this.holdPivot(hi - 1);
      if (this.cmpPivot(lo) > 0) this.swap(lo, hi - 1);
      this.holdPivot(hi - 1);
      if (this.cmpPivot(mid) > 0) this.swap(mid, hi - 1);
      this.holdPivot(mid);
      let i = lo - 1;
      let j = hi;
      while (true) {
        do i++;
        while (this.cmpPivot(i) < 0);
        do j--;
        while (this.cmpPivot(j) > 0);
        if (i >= j) break;
        this.swap(i, j);
      }
      // Recurse into the smaller side, loop on the larger: stack depth stays logarithmic.
      if (j + 1 - lo < hi - j - 1) {
        this.sort(lo, j + 1);
        lo = j + 1;
      } else {
        this.sort(j + 1, hi);
        hi = j + 1;
      }
    }
    for (let i = lo + 1; i < hi; i++) {
      this.holdPivot(i);
      let j = i;
      while (j > lo && this.cmpPivot(j - 1) > 0) j--;
      if (j === i) continue;
      // Rotate element i down to position j.
      for (let k = i; k > j; k--) this.swap(k, k - 1);
    }
  }
}

function sortIdsOnly(idx: Uint32Array, indptr: Offsets, numRows: number): void {
  for (let r = 0; r < numRows; r++) {
    const lo = indptr[r];
    const hi = indptr[r + 1];
    if (hi - lo <= INSERTION_MAX) {
      for (let i = lo + 1; i < hi; i++) {
        const v = idx[i];
        let j = i - 1;
        while (j >= lo && idx[j] > v) {
          idx[j + 1] = idx[j];
          j--;
        }
        idx[j + 1] = v;
      }
    } else {
      // The engine's numeric typed-array sort beats a JavaScript quicksort on long rows.
      idx.subarray(lo, hi).sort();
    }
  }
}

/** Sorts every row: by (timestamp, neighbour) when `byTime` and timestamps exist, else by neighbour. */
export function sortRows(c: CsrArrays, byTime: boolean): void {
  const plain = !c.timestamps && !c.weights && !c.edgeType;
  if (plain) return sortIdsOnly(c.indices, c.indptr, c.numRows);
  const sorter = new RowSorter(c, byTime);
  const { indptr } = c;
  for (let r = 0; r < c.numRows; r++) {
    const lo = indptr[r];
    const hi = indptr[r + 1];
    if (hi - lo > 1) sorter.sort(lo, hi);
  }
}

/**
 * Drops duplicate edges from rows sorted by neighbour id (`sortRows(c, false)`), compacting the arrays
 * and rewriting indptr in place. 'pair': one edge per (row, neighbour), the earliest kept; 'event': one
 * per (row, neighbour, timestamp). Returns the CSR over the shortened arrays.
 */
export function dedupeSortedRows(c: CsrArrays, mode: 'pair' | 'event'): CsrArrays {
  const { indptr, indices: idx, timestamps: ts, weights: w, edgeType: et } = c;
  const byEvent = mode === 'event' && ts !== undefined;
  let out = 0;
  let start = 0; // original start of the current row, before indptr[r] is overwritten
  for (let r = 0; r < c.numRows; r++) {
    const end = indptr[r + 1];
    const rowOut = out;
    for (let i = start; i < end; i++) {
      if (out > rowOut && idx[out - 1] === idx[i] && (!byEvent || ts![out - 1] === ts![i]))
        continue;
      idx[out] = idx[i];
      if (ts) ts[out] = ts[i];
      if (w) w[out] = w[i];
      if (et) et[out] = et[i];
      out++;
    }
    indptr[r] = rowOut;
    start = end;
  }
  indptr[c.numRows] = out;
  return {
    numRows: c.numRows,
    indptr,
    indices: idx.subarray(0, out),
    timestamps: ts?.subarray(0, out),
    weights: w?.subarray(0, out),
    edgeType: et?.subarray(0, out),
  };
}

/**
 * Puts a freshly filled CSR into stored order: optional duplicate removal, then rows sorted by
 * timestamp when there are timestamps, else by neighbour id.
 */
export function canonicalizeRows(c: CsrArrays, dedupe: 'none' | 'pair' | 'event'): CsrArrays {
  if (dedupe === 'none') {
    sortRows(c, true);
    return c;
  }
  sortRows(c, false);
  const d = dedupeSortedRows(c, dedupe);
  if (d.timestamps) sortRows(d, true);
  return d;
}

/**
 * Sorts only the rows that are out of order (a linear check per row first). Used after concatenating
 * per-relation rows, which are usually already in order.
 */
export function sortUnsortedRows(c: CsrArrays, byTime: boolean): number {
  const { indptr, indices: idx } = c;
  const ts = c.timestamps;
  const useTs = byTime && ts !== undefined;
  let sorter: RowSorter | undefined;
  let fixed = 0;
  for (let r = 0; r < c.numRows; r++) {
    const lo = indptr[r];
    const hi = indptr[r + 1];
    let ordered = true;
    for (let i = lo + 1; i < hi; i++) {
      // Strictly out of order on the primary key, or on the neighbour id among equal timestamps.
      if (useTs) {
        if (ts![i] < ts![i - 1] || (ts![i] === ts![i - 1] && idx[i] < idx[i - 1])) {
          ordered = false;
          break;
        }
      } else if (idx[i] < idx[i - 1]) {
        ordered = false;
        break;
      }
    }
    if (ordered) continue;
    sorter ??= new RowSorter(c, byTime);
    sorter.sort(lo, hi);
    fixed++;
  }
  return fixed;
}
