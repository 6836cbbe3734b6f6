// Weighted draws from long rows without scanning them: prefix sums of edge weights every 64 edges,
// so one draw is a binary search over blocks plus a scan of at most 64 weights.

/** Edges per prefix-sum block: one search step per block, at most this many weights scanned. */
const BLOCK = 64;

/** Float64 prefix sums of the edge weights at every 64th edge: 8 bytes per 64 edges. */
export class WeightPrefix {
  private readonly blockPrefix: Float64Array;

  constructor(private readonly weights: Float32Array) {
    const numEdges = weights.length;
    const numBlocks = Math.ceil(numEdges / BLOCK);
    const prefix = new Float64Array(numBlocks + 1);
    let acc = 0;
    for (let b = 0; b < numBlocks; b++) {
      prefix[b] = acc;
      const end = Math.min(numEdges, (b + 1) * BLOCK);
      for (let p = b * BLOCK; p < end; p++) acc += weights[p];
    }
    prefix[numBlocks] = acc;
    this.blockPrefix = prefix;
  }

  /** Sum of weights[0..p). */
  prefixAt(p: number): number {
    const b = Math.floor(p / BLOCK);
    let acc = this.blockPrefix[b];
    for (let x = b * BLOCK; x < p; x++) acc += this.weights[x];
    return acc;
  }

  /**
   * The edge p in [start, end) whose weight interval holds `target`, a point in
   * [prefixAt(start), prefixAt(end)): each edge is hit with probability weight / row total.
   */
  find(target: number, start: number, end: number): number {
    const blockPrefix = this.blockPrefix;
    const weights = this.weights;
    // Last block whose prefix is <= target.
    let lo = Math.floor(start / BLOCK);
    let hi = Math.floor((end - 1) / BLOCK);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (blockPrefix[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    let p = lo * BLOCK;
    let acc = blockPrefix[lo];
    const stop = Math.min(end, (lo + 1) * BLOCK) - 1;
    while (p < stop) {
      const next = acc + weights[p];
      if (next > target) break;
      acc = next;
      p++;
    }
    // Rounding can leave p just before the row when the target sits on its lower edge.
    return p < start ? start : p;
  }
}
