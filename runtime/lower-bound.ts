// Binary search over sorted numbers (node ids, pair keys, times): where a value sits, or would be
// inserted, to keep the order.

/** The first index whose value is not below `x`; `sorted.length` when every value is below it. */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
