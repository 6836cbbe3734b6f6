// Walker/Vose alias tables: O(1) draws from a discrete distribution after O(n) setup. Several tables can
// share one pair of arrays as segments (one per class, say), so generators sample without allocating.
import type { Xoshiro128Float } from '../runtime/prng.js';

/** Alias tables over segments of shared arrays; a draw returns a position inside its segment. */
export class AliasSegments {
  readonly prob: Float64Array;
  readonly alias: Uint32Array;

  constructor(size: number) {
    this.prob = new Float64Array(size);
    this.alias = new Uint32Array(size);
  }

  /**
   * Builds the table of segment [start, end) from `weights` (indexed like the segment). Weights must be
   * non-negative with a positive sum. `small`/`large` are scratch stacks of at least end - start entries.
   */
  build(
    weights: ArrayLike<number>,
    start: number,
    end: number,
    small: Uint32Array,
    large: Uint32Array,
  ): void {
    const n = end - start;
    if (n === 0) return;
    let sum = 0;
    for (let i = start; i < end; i++) sum += weights[i];
    if (!(sum > 0)) throw new RangeError('alias table needs a positive total weight');
    const prob = this.prob;
    const alias = this.alias;
    let ns = 0;
    let nl = 0;
    for (let i = start; i < end; i++) {
      prob[i] = (weights[i] * n) / sum;
      if (prob[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns];
      const l = large[nl - 1];
      alias[s] = l;
      prob[l] -= 1 - prob[s];
      if (prob[l] < 1) {
        nl--;
        small[ns++] = l;
      }
    }
    // Leftovers are 1 up to rounding.
    while (nl > 0) prob[large[--nl]] = 1;
    while (ns > 0) prob[small[--ns]] = 1;
  }

  /** A position in [start, end) drawn with the segment's weights. */
  sample(rng: Xoshiro128Float, start: number, end: number): number {
    const i = start + Math.floor(rng.next() * (end - start));
    return rng.next() < this.prob[i] ? i : this.alias[i];
  }
}
