// Binary search over sorted numbers (node ids, pair keys, times): where a value sits, or would be
// inserted, to keep the order.

/**
 * The first index in [from, to) whose value is not below `x`; `to` when every value there is below
 * it. The range defaults to the whole array.
 */
export function lowerBound(
  sorted: ArrayLike<number>,
  x: number,
  from = 0,
  to: number = sorted.length,
): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >>> 1);
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
