// Training negatives drawn before sampling, filtered: destinations of the destination type with
// probability ∝ (in-degree + 1)^power — 0.75 for link.negatives degree, as word2vec and PinSage draw
// theirs; 0 (uniform) for the candidate pool of hard negatives — a true destination of the source redrawn.
import type { Csr } from '../../graph-store/types.js';
import { Xoshiro128 } from '../../runtime/prng.js';

/** The exponent of word2vec's unigram table: flattens the degree distribution without erasing it. */
export const DEGREE_POWER = 0.75;
/** Stream lane of the negative draws (apart from the neighbour draws of the same batch seed). */
const DEGREE_LANE = 7;
/** Redraws of a negative that is a true destination before it is kept (the loss drops its own dst). */
const MAX_REDRAWS = 16;

export class DrawnNegatives {
  /** Cumulative weights of candidates lo .. hi−1. */
  readonly cumulative: Float64Array;

  constructor(
    private readonly csr: Csr,
    readonly lo: number,
    readonly hi: number,
    private readonly seed: number,
    /** Exponent of the degree weighting: DEGREE_POWER, or 0 for uniform. */
    readonly power: number,
  ) {
    const inDegree = new Float64Array(hi - lo);
    for (let e = 0; e < csr.indices.length; e++) {
      const v = csr.indices[e];
      if (v >= lo && v < hi) inDegree[v - lo]++;
    }
    this.cumulative = new Float64Array(hi - lo);
    let total = 0;
    for (let c = 0; c < inDegree.length; c++) {
      // +1: a node never seen as a destination keeps a small chance (no dead candidates).
      total += power === 0 ? 1 : Math.pow(inDegree[c] + 1, power);
      this.cumulative[c] = total;
    }
  }

  /** One candidate by weight: the first whose cumulative weight exceeds u · total. */
  private pick(u: number): number {
    const cum = this.cumulative;
    const x = u * cum[cum.length - 1];
    let a = 0;
    let b = cum.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cum[mid] > x) b = mid;
      else a = mid + 1;
    }
    return this.lo + a;
  }

  /** Whether `c` is a neighbour of `s` in the graph (a true destination of s). */
  private isEdge(s: number, c: number): boolean {
    const { indptr, indices } = this.csr;
    for (let e = Number(indptr[s]), end = Number(indptr[s + 1]); e < end; e++)
      if (indices[e] === c) return true;
    return false;
  }

  /** k negatives per pair (pair-major), determined by (seed, batchSeed) alone. */
  draw(src: Int32Array, dst: Int32Array, k: number, batchSeed: number): Int32Array {
    const rng = new Xoshiro128(this.seed, batchSeed, DEGREE_LANE);
    const out = new Int32Array(src.length * k);
    for (let i = 0; i < src.length; i++)
      for (let j = 0; j < k; j++) {
        let c = this.pick(rng.nextU32() / 4294967296);
        for (let r = 0; r < MAX_REDRAWS && (c === dst[i] || this.isEdge(src[i], c)); r++)
          c = this.pick(rng.nextU32() / 4294967296);
        out[i * k + j] = c;
      }
    return out;
  }
}
