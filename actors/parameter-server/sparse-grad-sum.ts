// Sums row gradients keyed by id (duplicates within a batch, over N local batches, over the trainers
// of a round) into one row per unique id, in first-seen order; what travels and what the table applies.
import { IdRowIndex } from './id-row-index.js';

/** Unique ids and their summed gradient rows [ids.length × dim]. */
export interface SparseRows {
  ids: Int32Array;
  grads: Float32Array;
}

export class SparseGradSum {
  private index = new IdRowIndex();
  private sums: Float32Array;
  /** Contributions added since the last take (batches, or trainers). */
  count = 0;

  constructor(readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be >= 1, got ${dim}`);
    this.sums = new Float32Array(64 * dim);
  }

  get size(): number {
    return this.index.size;
  }

  /** Adds grads [ids.length × dim] times `scale`; repeated ids are summed. */
  add(ids: Int32Array, grads: Float32Array, scale = 1): void {
    const d = this.dim;
    if (grads.length !== ids.length * d)
      throw new RangeError(`grads has ${grads.length} values, expected ${ids.length} × ${d}`);
    for (let i = 0; i < ids.length; i++) {
      const slot = this.index.getOrAdd(ids[i]);
      if ((slot + 1) * d > this.sums.length) {
        const grown = new Float32Array(this.sums.length * 2);
        grown.set(this.sums);
        this.sums = grown;
      }
      const o = slot * d;
      const gi = i * d;
      if (scale === 1) for (let j = 0; j < d; j++) this.sums[o + j] += grads[gi + j];
      else for (let j = 0; j < d; j++) this.sums[o + j] += grads[gi + j] * scale;
    }
    this.count++;
  }

  /** The sums (each divided by `divisor`), copied out; the accumulator is empty afterwards. */
  take(divisor = 1): SparseRows {
    const n = this.index.size;
    const ids = Int32Array.from(this.index.ids());
    const grads = this.sums.slice(0, n * this.dim);
    if (divisor !== 1) for (let i = 0; i < grads.length; i++) grads[i] /= divisor;
    this.reset();
    return { ids, grads };
  }

  reset(): void {
    this.sums.fill(0, 0, this.index.size * this.dim);
    this.index.clear();
    this.count = 0;
  }
}
