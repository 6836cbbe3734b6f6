// Weighted choice of k distinct edges of a row without replacement (successive sampling: each draw
// proportional to weight among the edges not yet drawn), by the cheapest exact method for the row.
import type { Xoshiro128 } from '../../runtime/prng.js';
import { WeightPrefix } from './weight-prefix.js';

/** Up to this k * deg a row is walked once per draw (no index, no logarithms). */
const WALK_MAX_WORK = 1024;
/** Failed draws of one pick before the rejection method hands the rest to the keyed scan. */
const MAX_REJECTIONS = 16;

/**
 * One per sampler (per thread): the block-prefix index over the graph's weights (8 bytes per 64
 * edges) and scratch. Every method below draws exactly successive sampling; each step's choice is
 * weight-proportional among the undrawn edges whatever method made the earlier steps, which is what
 * lets a row switch method halfway.
 */
export class WeightedPicker {
  private readonly prefix: WeightPrefix;
  private drawn = new Int32Array(1024);
  private stamp = 0;
  private heapKeys = new Float64Array(64);

  constructor(private readonly weights: Float32Array) {
    this.prefix = new WeightPrefix(weights);
  }

  private nextStamp(deg: number): number {
    if (this.drawn.length < deg) {
      let cap = this.drawn.length;
      while (cap < deg) cap *= 2;
      this.drawn = new Int32Array(cap);
      this.stamp = 0;
    }
    if (this.stamp >= 0x3fffffff) {
      this.drawn.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  /**
   * Writes into out[0..k) the offsets (from `start`) of k distinct edges of the row
   * weights[start..start+deg) (deg > k, weights > 0), in draw order, so every prefix is itself a
   * weighted sample of its size.
   */
  pick(rng: Xoshiro128, start: number, deg: number, k: number, out: Int32Array): void {
    const cur = this.nextStamp(deg);
    if (k * deg <= WALK_MAX_WORK) {
      this.walk(rng, start, deg, 0, k, out, cur);
      return;
    }
    this.rejection(rng, start, deg, k, out, cur);
  }

  /** Draws with replacement through the index and discards repeats; falls back to the keyed scan. */
  private rejection(
    rng: Xoshiro128,
    start: number,
    deg: number,
    k: number,
    out: Int32Array,
    cur: number,
  ): void {
    const end = start + deg;
    const low = this.prefix.prefixAt(start);
    const total = this.prefix.prefixAt(end) - low;
    const drawn = this.drawn;
    let c = 0;
    let misses = 0;
    while (c < k) {
      const off = this.prefix.find(low + rng.nextOpen01() * total, start, end) - start;
      if (drawn[off] === cur) {
        // A few edges hold most of the weight: finish with the keyed scan over the undrawn rest.
        if (++misses > MAX_REJECTIONS) {
          this.keyedScan(rng, start, deg, c, k, out, cur);
          return;
        }
        continue;
      }
      misses = 0;
      drawn[off] = cur;
      out[c++] = off;
    }
  }

  /** Picks c..k-1 by walking the row once per draw, skipping drawn edges. O((k - c) * deg). */
  private walk(
    rng: Xoshiro128,
    start: number,
    deg: number,
    c: number,
    k: number,
    out: Int32Array,
    cur: number,
  ): void {
    const weights = this.weights;
    const drawn = this.drawn;
    let remaining = 0;
    for (let j = 0; j < deg; j++) if (drawn[j] !== cur) remaining += weights[start + j];
    for (; c < k; c++) {
      const target = rng.nextOpen01() * remaining;
      let acc = 0;
      let last = -1;
      let hit = -1;
      for (let j = 0; j < deg; j++) {
        if (drawn[j] === cur) continue;
        last = j;
        acc += weights[start + j];
        if (acc > target) {
          hit = j;
          break;
        }
      }
      // Rounding may carry the target past the last undrawn edge: it is the one.
      if (hit < 0) hit = last;
      drawn[hit] = cur;
      out[c] = hit;
      remaining -= weights[start + hit];
    }
  }

  /**
   * Picks c..k-1 among the undrawn edges with exponential keys Exp(w), the smallest winning
   * (Efraimidis–Spirakis), skipping ahead by exponential jumps once k - c keys are held (the A-ExpJ
   * idea): a scan of the weights plus O(m log(deg/m)) logarithms for m = k - c picks.
   */
  private keyedScan(
    rng: Xoshiro128,
    start: number,
    deg: number,
    c: number,
    k: number,
    out: Int32Array,
    cur: number,
  ): void {
    const weights = this.weights;
    const drawn = this.drawn;
    const m = k - c;
    if (this.heapKeys.length < m) this.heapKeys = new Float64Array(m * 2);
    const keys = this.heapKeys;
    // Max-heap of (key, offset) holding the m smallest keys so far; offsets live in out[c..k).
    let size = 0;
    let j = 0;
    while (size < m && j < deg) {
      if (drawn[j] !== cur) {
        const key = -Math.log(rng.nextOpen01()) / weights[start + j];
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (keys[p] >= key) break;
          keys[i] = keys[p];
          out[c + i] = out[c + p];
          i = p;
        }
        keys[i] = key;
        out[c + i] = j;
      }
      j++;
    }
    while (j < deg) {
      const threshold = keys[0];
      // Weight mass skipped before the next key below the threshold: Exp(threshold).
      const skip = -Math.log(rng.nextOpen01()) / threshold;
      let acc = 0;
      while (j < deg) {
        if (drawn[j] !== cur) {
          acc += weights[start + j];
          if (acc >= skip) break;
        }
        j++;
      }
      if (j >= deg) break;
      const w = weights[start + j];
      // Inverse CDF of Exp(w) restricted to [0, threshold).
      const below = -Math.expm1(-w * threshold);
      const key = -Math.log1p(-rng.nextOpen01() * below) / w;
      siftDownReplace(keys, out, c, m, key, j);
      j++;
    }
    // Heap order -> ascending key order (the draw order): pop the maximum into the back.
    for (let end = m - 1; end > 0; end--) {
      const topKey = keys[0];
      const topOff = out[c];
      siftDownReplace(keys, out, c, end, keys[end], out[c + end]);
      keys[end] = topKey;
      out[c + end] = topOff;
    }
  }

  /** The keyed scan alone, from the first pick: for tests of that method. */
  pickByKeys(rng: Xoshiro128, start: number, deg: number, k: number, out: Int32Array): void {
    this.keyedScan(rng, start, deg, 0, k, out, this.nextStamp(deg));
  }

  /** The index-and-reject method (with its fallback) alone: for tests of that method. */
  pickByIndex(rng: Xoshiro128, start: number, deg: number, k: number, out: Int32Array): void {
    this.rejection(rng, start, deg, k, out, this.nextStamp(deg));
  }

  /** The per-draw walk alone, from the first pick: for tests of that method. */
  pickByWalk(rng: Xoshiro128, start: number, deg: number, k: number, out: Int32Array): void {
    this.walk(rng, start, deg, 0, k, out, this.nextStamp(deg));
  }
}

/** Replaces the root of the max-heap (keys[0..size), offsets out[base..base+size)) and restores it. */
function siftDownReplace(
  keys: Float64Array,
  out: Int32Array,
  base: number,
  size: number,
  key: number,
  off: number,
): void {
  let c = 0;
  while (true) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && keys[r] > keys[l] ? r : l;
    if (keys[m] <= key) break;
    keys[c] = keys[m];
    out[base + c] = out[base + m];
    c = m;
  }
  keys[c] = key;
  out[base + c] = off;
}
