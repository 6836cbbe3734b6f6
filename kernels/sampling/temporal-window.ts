// The part of a timestamp-sorted row that lies strictly before a query time: a binary search for the
// first edge at or after t, so edges at t or later (the future, and the query edge itself) never show.
import type { Offsets } from '../../graph-store/types.js';

/**
 * The first position p in [start, end) with timestamps[p] >= t, or end: edges [start, p) are the ones
 * strictly before t. Rows are ascending in time (the Csr contract). A NaN time admits nothing.
 */
export function firstAtOrAfter(
  timestamps: Float64Array,
  start: number,
  end: number,
  t: number,
): number {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >>> 1);
    if (timestamps[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Checks the Csr contract the temporal sampler depends on; returns the first bad row or -1. */
export function firstUnsortedRow(
  indptr: Offsets,
  timestamps: Float64Array,
  numNodes: number,
): number {
  for (let v = 0; v < numNodes; v++) {
    const end = indptr[v + 1];
    for (let p = indptr[v] + 1; p < end; p++) if (!(timestamps[p - 1] <= timestamps[p])) return v;
  }
  return -1;
}
